const preset = require('../../jest.preset.js');

const swc = preset.transform['^.+\\.ts$'][1];

module.exports = {
  ...preset,
  displayName: 'gateway',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // NestJS 12 (and cookie, which Fastify's inject uses) ship ES modules only, which Jest cannot
  // require on Node < 24.9; SWC compiles them to CommonJS like our own sources.
  transform: {
    ...preset.transform,
    '^.+\\.js$': ['@swc/jest', { ...swc, jsc: { ...swc.jsc, parser: { syntax: 'ecmascript' } } }],
  },
  // Resolve workspace libs like tsconfig paths do: not every lib is linked into node_modules.
  moduleNameMapper: {
    '^@canopy/(engine|dsl|contracts|telemetry|testing|client|service-kit|viz)$':
      '<rootDir>/../../libs/$1/src/index.ts',
    '^@canopy/blackboard$': '<rootDir>/../blackboard/src/index.ts',
    '^@canopy/tick-runner$': '<rootDir>/../tick-runner/src/index.ts',
  },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|cookie|set-cookie-parser)/)'],
  // Integration tests spawn nats-server and redis-server; give them room to start.
  testTimeout: 30_000,
};
