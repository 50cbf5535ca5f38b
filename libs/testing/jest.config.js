module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'testing',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // These tests spawn real servers.
  testTimeout: 30_000,
};
