module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'tick-runner',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
