import { runStepMain } from '@salesflow/step';
import { maskStep } from './mask-step';

runStepMain(maskStep);
