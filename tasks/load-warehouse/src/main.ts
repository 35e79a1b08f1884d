import { runStepMain } from '@salesflow/step';
import { loadWarehouseStep } from './load-warehouse-step';

runStepMain(loadWarehouseStep);
