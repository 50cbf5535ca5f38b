module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // Every spec starts real servers and services; nothing here is quick.
  testTimeout: 120_000,
};
