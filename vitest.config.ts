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

/**
 * workerd logs `WebSocket peer disconnected` when vitest-pool-workers closes the socket to a test
 * file's runner: after almost every Worker test file, from the pool itself, never from the code
 * under test. The pinned pool (0.15.1) drops its siblings (`WebSocket was aborted`, `operation
 * canceled`) but not this one, which later releases also drop (cloudflare/workers-sdk#13833);
 * it writes workerd's logs to this process's stdout or stderr through a handler the config cannot
 * replace. So exactly that line is dropped here; every other line, other workerd exceptions
 * included, still prints.
 */
const POOL_SOCKET_CLOSED =
  /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n$/
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && POOL_SOCKET_CLOSED.test(chunk)) {
      const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
      if (done !== undefined) queueMicrotask(done)
      return true
    }
    return write(chunk, ...rest)
  }) as typeof stream.write
}

export default defineConfig({
  test: {
    // Vitest's default on a 2-core machine is one file at a time for the whole run. The Node
    // files mostly wait (on emulators, child processes, timers), so three at once halve their
    // time; the Worker project still runs its files one by one (fileParallelism below).
    maxWorkers: 3,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    projects: [
      {
        plugins: [
          cloudflareTest({
            // The production configuration (the top level of wrangler.toml, src/index.ts)...
            wrangler: { configPath: './wrangler.toml' },
            // ...plus the demo's assets as [env.dev] binds them, Worker first, so that the demo
            // route tests (test/routes/demo.test.ts) can hand ASSETS to the development app.
            miniflare: {
              assets: {
                directory: './public',
                binding: 'ASSETS',
                routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
              },
            },
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
          include: [
            'test/emulator/**/*.test.ts',
            'test/e2e/**/*.test.ts',
            'test/node/**/*.test.ts',
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
