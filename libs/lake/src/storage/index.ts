export * from './local-storage';
export * from './open-storage';
export * from './s3-storage';
