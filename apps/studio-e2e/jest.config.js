module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'studio-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  // A stack, a Studio build when stale, and a browser.
  testTimeout: 180_000,
};
