module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'history',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
