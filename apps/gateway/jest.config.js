module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'gateway',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // Integration tests spawn nats-server, redis-server and the runner/history as processes, which
  // compile their TypeScript at start: on a busy 2-core CI machine that alone can take 20 s.
  testTimeout: 90_000,
};
