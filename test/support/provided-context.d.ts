// Values the global setup provides to the Worker tests (vitest's provide/inject).
import 'vitest'

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorUrl: string
    /** The emulator's second Web PubSub resource, for failover tests. */
    emulatorSecondaryUrl: string
    /** Fuzz cases over the whole fuzz suite: FUZZ_RUNS, 300 by default (vitest.config.ts). */
    fuzzRuns: number
    /** The fuzz suite's base seed: FUZZ_SEED, or a random one per vitest run (vitest.config.ts). */
    fuzzSeed: number
  }
}
