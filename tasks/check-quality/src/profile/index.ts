export * from './hyperloglog';
export * from './quantile-sketch';
export * from './top-values';
export * from './table-profiler';
export * from './profile-drift';
export * from './profiles-document';
export * from './profile-datasets';
export * from './profile-feed';
