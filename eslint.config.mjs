import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// Module boundaries are the architecture: scope says who may use a project, type says what it is.
// engine depends on nothing; dsl only on engine; libs never on apps; apps never on apps.
const depConstraints = [
  { sourceTag: 'type:engine', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:dsl', onlyDependOnLibsWithTags: ['type:engine'] },
  // Other libraries' tree formats, converted to and from the tree language.
  { sourceTag: 'type:formats', onlyDependOnLibsWithTags: ['type:engine', 'type:dsl'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:engine'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:engine', 'type:util'] },
  // The SDK users' code imports: names and schemas, the NATS wrapper; never the services.
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: ['type:contracts', 'type:engine', 'type:util'] },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:engine', 'type:dsl'],
  },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:engine',
      'type:dsl',
      'type:formats',
      'type:contracts',
      'type:util',
      'type:sdk',
      'type:testing',
    ],
  },
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:core', 'scope:shared'] },
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:core', 'scope:shared'] },
  { sourceTag: 'scope:service', onlyDependOnLibsWithTags: ['scope:core', 'scope:shared'] },
  // Studio runs in the browser: of the workspace libs only the SDK, and of the SDK only its browser
  // entry @canopy/sdk/rest (the Studio rule below; libs/sdk/test/package.spec.ts checks that
  // entry loads no Node code).
  { sourceTag: 'scope:studio', onlyDependOnLibsWithTags: ['type:sdk'] },
];

// Tests of any project may use the real-infrastructure helpers of libs/testing.
const testDepConstraints = depConstraints.map((c) => ({
  ...c,
  onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing', 'scope:shared'],
}));

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  prettier,
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/.data', '**/tmp', '**/coverage'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs', '**/*.mts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints,
        },
      ],
      // A lib's index.ts is its contract: no reaching into another project's files.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@canopy/*/*', '!@canopy/sdk/rest'],
              message: 'Import from the package root (index.ts), or the SDK browser entry @canopy/sdk/rest.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.spec.tsx', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints: testDepConstraints },
      ],
    },
  },
  {
    // Studio's bundle runs in the browser: the SDK's browser entry, never a Node-only package or
    // another workspace lib (apps/studio/src/bundle.spec.ts checks the built bundle).
    files: ['apps/studio/src/**/*.ts', 'apps/studio/src/**/*.tsx'],
    ignores: ['apps/studio/src/**/*.spec.ts', 'apps/studio/src/**/*.spec.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@canopy/(?!sdk/rest$)',
              message: 'Studio runs in the browser: of the workspace only @canopy/sdk/rest.',
            },
            {
              regex: '^(node:|ws$|@nats-io/|@opentelemetry/|pino($|/))',
              message: 'Node-only: not in a browser bundle.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tool configs live outside any project's source graph.
    files: ['**/jest.config.js', 'jest.preset.js', 'eslint.config.mjs'],
    rules: { '@nx/enforce-module-boundaries': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
];
