// Fixtures for the benchmark's report tests: segments, a new-identity phase and a report around it.
import { summarizeAccessKey } from '../../bench/access-key'
import { summarizePhase } from '../../bench/summary'
import type { BenchReport, PerContestant, PhaseResult, Segment } from '../../bench/types'

/** One round of one contestant: `rps` requests in a second, each `ms` long, `upstream` calls. */
export function segment(
  round: number,
  rps: number,
  ms: number,
  upstream: Record<string, number> = {},
) {
  const latency = { count: rps, p50: ms, p90: ms, p99: ms, min: ms, max: ms, mean: ms }
  const result: Segment = {
    round,
    position: 0,
    requests: rps,
    errors: 0,
    elapsedMs: 1000,
    requestsPerSecond: rps,
    latency,
    upstream,
    upstreamTlsHandshakes: 0,
    entraSources: {},
  }
  return result
}

/** The new-identity phase, two rounds, with fixed figures per contestant. */
export function newIdentityPhase(oursKeyUpstream: Record<string, number> = {}): PhaseResult {
  const auth = { 'webpubsub.generateToken': 100 }
  const figures: PerContestant<[rps: number, ms: number, upstream: Record<string, number>]> = {
    ours: [100, 40, auth],
    oursQuiet: [140, 35, auth],
    oursKey: [300, 10, oursKeyUpstream],
    naive: [150, 30, auth],
    naiveKey: [400, 8, {}],
    ok: [600, 5, {}],
    sdk: [120, 35, auth],
  }
  const segments: PerContestant<Segment[]> = {}
  const samples: PerContestant<number[]> = {}
  for (const [name, [rps, ms, upstream]] of Object.entries(figures) as [
    keyof typeof figures,
    [number, number, Record<string, number>],
  ][]) {
    segments[name] = [segment(0, rps, ms, upstream), segment(1, rps, ms, upstream)]
    samples[name] = Array.from({ length: 2 * rps }, () => ms)
  }
  const phase = { id: 'new-identity', name: 'new identity (CPU-bound)', concurrency: 20 }
  return summarizePhase({ ...phase, negotiation: true }, {}, segments, samples)
}

export function report(phase: PhaseResult): BenchReport {
  const series = { firstMs: [], secondMs: [], upstream: {}, entraSources: {} }
  return {
    date: '2026-11-30T00:00:00.000Z',
    loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
    source: { srcSha256: '0'.repeat(64) },
    machine: { cpuModel: 'test', cpuCount: 2, totalMemoryMiB: 1, platform: 'linux', node: 'v20' },
    versions: {},
    options: { durationMsPerSegment: 1000, rounds: 2, coldRepetitions: 0, quick: true },
    pids: { emulator: 1 },
    warmupUpstream: {},
    phases: [phase],
    accessKey: summarizeAccessKey([phase]),
    cold: { repetitions: 0, ours: series, sdk: series, oursWarmKv: series },
    memoryTimeline: [],
    bundle: { error: 'not measured' },
    bundleInputs: { error: 'not measured' },
    startup: undefined,
    wallSeconds: 1,
  }
}
