import { runStepMain } from '@salesflow/step';
import { standardizeStep } from './standardize-step';

runStepMain(standardizeStep);
