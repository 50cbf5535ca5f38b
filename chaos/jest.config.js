module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'chaos',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/soak/**/*.spec.ts'],
  // Phases wait on faults and recoveries with their own deadlines; each `it` sets its timeout.
  testTimeout: 240_000,
};
