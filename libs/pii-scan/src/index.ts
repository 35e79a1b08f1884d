export * from './detect-pii';
export * from './scan-batches-for-pii';
export * from './pii-found-error';
export * from './value-like-names';
export * from './normalize-for-scan';
