export * from './pipeline-config';
export * from './interpolate-env';
export * from './validate-config';
export * from './read-config';
export * from './measure-expression';
export * from './warehouse-model';
export * from './compare-warehouse-models';
export * from './lake-table-ddl';
