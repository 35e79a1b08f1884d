/**
 * One jest run for the whole monorepo. Tests import workspace packages by name;
 * the mapper points them at the TypeScript sources so no build is needed for
 * unit tests (integration tests spawn the built dist entrypoints instead).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/tasks', '<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  moduleNameMapper: { '^@salesflow/(errors|logging|config|batches|lake|lineage|step|masking|pii-scan)$': '<rootDir>/libs/$1/src/index.ts' },
  globalSetup: '<rootDir>/tests/global-setup.js',
  globalTeardown: '<rootDir>/tests/global-teardown.js',
  testTimeout: 120000,
  maxWorkers: 2,
};
