// Cold starts: a fresh server each time, then its first and second negotiation and what the first cost upstream.
import { HUB, type Server } from './contestants'
import { counterDelta } from './emulator-control'
import { timeOne } from './load'
import type { Upstream } from './segment'
import type { ColdResult, ContestantName, PerContestant } from './types'

export async function measureColdStarts(
  start: PerContestant<() => Promise<Server>>,
  upstream: Upstream,
  repetitions: number,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<ColdResult> {
  const cold: ColdResult = {
    repetitions,
    firstMs: { ours: [], sdk: [] },
    secondMs: { ours: [], sdk: [] },
    upstream: { ours: {}, sdk: {} },
  }
  for (let repetition = 0; repetition < repetitions; repetition += 1) {
    const order: ContestantName[] = repetition % 2 === 0 ? ['ours', 'sdk'] : ['sdk', 'ours']
    for (const name of order) {
      if (signal.aborted) return cold
      log(`cold start ${repetition + 1}/${repetitions}: ${name}`)
      // A new workerd with empty memory and an empty KV, or a new Node with empty caches. The
      // clock starts once the server listens: process start-up is not in the number.
      const fresh = await start[name]()
      try {
        const before = await upstream.counters()
        cold.firstMs[name].push(await timeOne(`${fresh.url}/negotiate?hub=${HUB}`))
        const after = await upstream.counters()
        cold.secondMs[name].push(await timeOne(`${fresh.url}/negotiate?hub=${HUB}`))
        for (const [route, value] of Object.entries(counterDelta(before, after)))
          cold.upstream[name][route] = (cold.upstream[name][route] ?? 0) + value
      } finally {
        // Stopped now, not at the end, so cold starts do not pile up processes.
        await fresh.stop()
      }
    }
  }
  return cold
}
