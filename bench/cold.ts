// Cold starts: a fresh server each time, then its first and second negotiation and what the first cost upstream.
// Ours twice per repetition: a new isolate with an empty KV, then a new isolate that finds the
// KV the first one filled, as a new isolate on the edge finds the token other isolates wrote.
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Stage } from './contestants'
import { counterDelta } from './emulator-control'
import { timeOne } from './load'
import { NEGOTIATE } from './scenarios'
import type { Upstream } from './segment'
import type { ColdResult, ColdSeries } from './types'
import type { Server } from './workers'

/** Time for the first isolate's KV write (ctx.waitUntil, after its answer) to land. */
const KV_WRITE_SETTLE_MS = 300

const emptySeries = (): ColdSeries => ({
  firstMs: [],
  secondMs: [],
  upstream: {},
  entraSources: {},
})
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

export interface ColdOptions {
  start: Stage['start']
  workDirectory: string
  upstream: Upstream
  repetitions: number
  signal: AbortSignal
  log: (line: string) => void
}

export async function measureColdStarts(options: ColdOptions): Promise<ColdResult> {
  const { start, upstream, repetitions, signal, log } = options
  const cold: ColdResult = {
    repetitions,
    ours: emptySeries(),
    sdk: emptySeries(),
    oursWarmKv: emptySeries(),
  }

  // The clock starts once the server listens: process start-up is not in the number.
  const measure = async (fresh: Server, series: ColdSeries, settleMs = 0): Promise<void> => {
    try {
      const before = await upstream.counters()
      const first = await timeOne(fresh.url + NEGOTIATE)
      const after = await upstream.counters()
      series.firstMs.push(first.ms)
      series.secondMs.push((await timeOne(fresh.url + NEGOTIATE)).ms)
      if (first.entraSource !== undefined)
        series.entraSources[first.entraSource] = (series.entraSources[first.entraSource] ?? 0) + 1
      for (const [route, value] of Object.entries(counterDelta(before, after)))
        series.upstream[route] = (series.upstream[route] ?? 0) + value
      await sleep(settleMs)
    } finally {
      // Stopped now, not at the end, so cold starts do not pile up processes.
      await fresh.stop()
    }
  }

  const ours = async (repetition: number) => {
    const kvPersist = await mkdtemp(join(options.workDirectory, 'kv-'))
    try {
      log(`cold start ${repetition}/${repetitions}: ours, empty KV`)
      await measure(await start.ours({ kvPersist }), cold.ours, KV_WRITE_SETTLE_MS)
      if (signal.aborted) return
      log(`cold start ${repetition}/${repetitions}: ours, a new isolate with a warm KV`)
      await measure(await start.ours({ kvPersist }), cold.oursWarmKv)
    } finally {
      await rm(kvPersist, { recursive: true, force: true })
    }
  }
  const sdk = async (repetition: number) => {
    log(`cold start ${repetition}/${repetitions}: SDK`)
    await measure(await start.sdk(), cold.sdk)
  }

  for (let repetition = 1; repetition <= repetitions; repetition += 1) {
    // Alternating, so drift hits both alike.
    for (const run of repetition % 2 === 1 ? [ours, sdk] : [sdk, ours]) {
      if (signal.aborted) return cold
      await run(repetition)
    }
  }
  return cold
}
