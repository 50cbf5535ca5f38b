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
  // Studio runs in the browser and talks to the gateway over HTTP only: no workspace lib (they are
  // Node code); its API module is the one place that knows the gateway's shapes.
  { sourceTag: 'scope:studio', onlyDependOnLibsWithTags: [] },
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
        { patterns: [{ group: ['@canopy/*/*'], message: 'Import from the package root (index.ts).' }] },
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
    // Tool configs live outside any project's source graph.
    files: ['**/jest.config.js', 'jest.preset.js', 'eslint.config.mjs'],
    rules: { '@nx/enforce-module-boundaries': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
];
