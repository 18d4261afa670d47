// ESLint: typescript-eslint's recommended rules over the Worker, the emulator, tests and scripts.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'reports/',
      '.wrangler/',
      'worker-configuration.d.ts',
      'emulator/demo-dist/',
      'public/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
      // TypeScript checks undefined names in .ts; the few .mjs scripts run on Node with its globals.
      'no-undef': 'off',
    },
  },
)
