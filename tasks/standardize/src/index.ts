export * from './cast-value';
export { snakeCase } from '@salesflow/batches';
export * from './standardize-batch';
export { runStandardize, standardizeStep } from './standardize-step';
