// Two test projects: the Worker (inside workerd, against the emulator on 127.0.0.1) and Node
// (the emulator itself and the end-to-end suites with the official Azure clients).
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
          }),
        ],
        test: {
          name: 'worker',
          include: ['test/**/*.test.ts'],
          exclude: ['test/emulator/**', 'test/e2e/**', 'test/node/**'],
          globalSetup: ['test/support/global-setup.ts'],
          // One emulator serves every Worker test file and its counters are global: run files
          // one after another so that a counter assertion sees only its own test's calls.
          fileParallelism: false,
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/emulator/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/node/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
