export * from './extractor';
export * from './ingest-step';
export * from './files/files-extractor';
export * from './files/detect-format';
