export * from './build-dimension';
export * from './build-fact-batch';
export * from './choose-snapshot';
export * from './derive-measure';
export * from './dim-date';
export { buildStarSchemaStep, runBuildStarSchema } from './build-star-schema-step';
