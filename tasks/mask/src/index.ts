export * from './mask-rule-invalid-error';
export * from './check-mask-rules';
export * from './mask-step';
export * from './detokenize-command';
export * from './forget-command';
