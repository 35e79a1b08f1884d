export * from './catalog-model';
export * from './gather-catalog';
export * from './render-catalog-html';
export * from './catalog-step';
export * from './catalog-main';
