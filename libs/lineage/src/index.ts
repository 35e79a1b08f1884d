export * from './dataset-name';
export * from './run-event';
export * from './lineage-emitter';
