import { runStepMain } from '@salesflow/step';
import { buildStarSchemaStep } from './build-star-schema-step';

runStepMain(buildStarSchemaStep);
