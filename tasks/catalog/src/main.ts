import { runStepMain } from '@salesflow/step';
import { catalogStep } from './catalog-step';

runStepMain(catalogStep);
