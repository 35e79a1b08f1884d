import { runStepMain } from '@salesflow/step';
import { checkQualityStep } from './check-quality-step';

runStepMain(checkQualityStep);
