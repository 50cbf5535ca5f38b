const path = require('node:path');

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'dsl',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // The workspace packages are not linked into node_modules; resolve them like tsconfig paths do.
  moduleNameMapper: {
    '^@canopy/engine$': path.resolve(__dirname, '../engine/src/index.ts'),
  },
};
