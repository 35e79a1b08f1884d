export * from './exit-codes';
export * from './pipeline-error';
