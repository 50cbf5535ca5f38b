// One Jest setup for every project: SWC transpiles TypeScript (with decorator metadata for
// NestJS), type checking is the separate `typecheck` target.

const swcConfig = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcConfig],
    // NestJS 12 (and cookie, which Fastify's inject uses) ship ES modules only. Node >= 20.19
    // can require() them, Jest cannot, so SWC compiles them to CommonJS like our own sources.
    '^.+\\.js$': ['@swc/jest', { ...swcConfig, jsc: { ...swcConfig.jsc, parser: { syntax: 'ecmascript' } } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|cookie|set-cookie-parser|content-disposition)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // A built package (libs/sdk) points its exports at dist/; in the workspace its sources are
  // wanted, under the `canopy-source` condition.
  testEnvironmentOptions: { customExportConditions: ['canopy-source', 'node', 'node-addons'] },
};
