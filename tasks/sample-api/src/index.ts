export * from './stock-records';
export * from './sample-api-server';
