module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'formats',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
