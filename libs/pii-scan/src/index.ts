export * from './detect-pii';
export * from './scan-batches-for-pii';
export * from './pii-found-error';
