// Two test projects: the Worker (inside workerd, against the emulator on 127.0.0.1) and Node
// (the emulator itself and the end-to-end suites with the official Azure clients).
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

/** Fuzz size and seed from the environment (npm run fuzz), handed to workerd via provide/inject. */
function integerFromEnv(name: string, fallback: () => number, min: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback()
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min}`)
  return value
}
const fuzzRuns = integerFromEnv('FUZZ_RUNS', () => 300, 1)
// fast-check prints the seed it used, possibly negative; any integer replays.
const fuzzSeed = integerFromEnv('FUZZ_SEED', () => Math.floor(Math.random() * 2 ** 31), -(2 ** 31))

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
          provide: { fuzzRuns, fuzzSeed },
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
