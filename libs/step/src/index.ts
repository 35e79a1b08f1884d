export * from './step-context';
export * from './execute-step';
export * from './open-lake';
export * from './describe-datasets';
export * from './data-interval';
export * from './lake-datasets';
export * from './gc-tuning';
