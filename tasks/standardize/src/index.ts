export * from './cast-value';
export * from './snake-case';
export * from './standardize-batch';
export { runStandardize, standardizeStep } from './standardize-step';
