const preset = require('../../jest.preset.js');

const swc = preset.transform['^.+\\.ts$'][1];

module.exports = {
  ...preset,
  displayName: 'service-kit',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // NestJS 12 (and cookie, which Fastify's inject uses) ship ES modules only, which Jest cannot
  // require on Node < 24.9; SWC compiles them to CommonJS like our own sources.
  transform: {
    ...preset.transform,
    '^.+\\.js$': ['@swc/jest', { ...swc, jsc: { ...swc.jsc, parser: { syntax: 'ecmascript' } } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|cookie|set-cookie-parser)/)'],
  // Integration tests spawn nats-server and redis-server.
  testTimeout: 30_000,
};
