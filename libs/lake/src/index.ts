export * from './storage';
export * from './storage/index';
export * from './parquet/index';
export * from './partition/manifest';
export * from './partition/partition-paths';
export * from './partition/partition-writer';
export * from './lake';
