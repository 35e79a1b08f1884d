export * from './expired-partitions';
export { runSetup, setupStep } from './setup-step';
export * from './iam-policies';
