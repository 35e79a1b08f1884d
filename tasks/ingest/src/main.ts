import { runStepMain } from '@salesflow/step';
import { ingestStep } from './ingest-step';

runStepMain(ingestStep);
