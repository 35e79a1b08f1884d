export * from './column-kinds';
export * from './batch-builder';
export * from './read-columns';
export * from './assemble-batch';
export * from './column-writers';
export * from './key-set';
export * from './round-decimal';
export * from './snake-case';
