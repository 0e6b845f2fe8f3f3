// ESLint flat config. Type-aware rules (no-floating-promises) need the TypeScript program.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/** The imports workflows/ and domain/ may not make (`extraPaths`, `extraGroups`: more of them). */
function sandboxFence(extraPaths = [], extraGroups = []) {
  return {
    paths: [
      ...nodeBuiltins,
      'undici',
      'fastify',
      'pino',
      '@temporalio/activity',
      '@temporalio/client',
      '@temporalio/worker',
      ...extraPaths,
    ].map((name) => ({
      name,
      message: 'workflows/ and domain/ must stay deterministic: no I/O or Node built-ins here.',
    })),
    patterns: [
      {
        group: [
          '**/activities/**',
          '**/infobip/**',
          '**/worker/**',
          '**/client/**',
          '**/api/**',
          '**/cli/**',
          '**/setup/**',
          '**/dev/**',
          '**/bench/**',
          '**/emulator/**',
          '**/codec/**',
          '**/config',
          '**/config/**',
          '**/test/**',
          ...extraGroups,
        ],
        message:
          'workflows/ may import only @temporalio/workflow, domain/ and its own files (activities as types only); domain/ only itself and @temporalio/common.',
        allowTypeImports: true,
      },
    ],
  };
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', 'test-results/**', 'coverage/**', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, and domain/ is imported by it:
    // no I/O, no Node built-ins, nothing from the parts of the project that do I/O.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxFence()],
    },
  },
  {
    // domain/ is the vocabulary every layer shares: not even workflow code.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        sandboxFence(['@temporalio/workflow'], ['**/workflows', '**/workflows/**']),
      ],
    },
  },
  {
    // The workflow reads in one sitting: the phases in a short function, state and handlers
    // in small methods.
    files: ['workflows/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60 }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
  },
);
