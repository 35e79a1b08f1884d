import { runStepMain } from '@salesflow/step';
import { setupStep } from './setup-step';

runStepMain(setupStep);
