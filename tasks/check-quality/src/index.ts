export * from './checks';
export * from './plan-table-reads';
export * from './quality-report';
export * from './check-quality-step';
export * from './run-history';
export * from './render-report-html';
export * from './profile';
