// The shapes of the benchmark's results, as printed and as written to reports/bench.json.
import type { BundleSize } from './bundle-size'
import type { RouteCounters } from './emulator-control'
import type { LatencySummary } from './stats'

export type ContestantName = 'ours' | 'sdk'

export type PerContestant<T> = Record<ContestantName, T>

/** One contestant's measured stretch of load within a round. */
export interface Segment {
  round: number
  /** 0 when this contestant went first in the round, 1 when second. */
  position: number
  requests: number
  /** Non-200 answers and network errors. */
  errors: number
  firstError?: string
  elapsedMs: number
  requestsPerSecond: number
  latency: LatencySummary
  /** Emulator requests during the segment, per route. */
  upstream: RouteCounters
  /** TLS handshakes the emulator completed during the segment (new upstream connections). */
  upstreamTlsHandshakes: number
  /** CPU time of the serving process (workerd, or the SDK's Node) during the segment. */
  serverCpuMs?: number
  emulatorCpuMs?: number
  /** Ours only: Server-Timing `entra;desc=` of each answer (memory, kv, fetch). */
  entraSources: Record<string, number>
}

export interface PhaseResult {
  name: string
  /** Path and query each request asked for. */
  path: string
  concurrency: number
  segments: PerContestant<Segment[]>
  /** Every round's latencies pooled. */
  latency: PerContestant<LatencySummary>
  /** Median over rounds of each round's successful requests per second. */
  requestsPerSecond: PerContestant<number>
  /** Upstream requests per successful negotiation, per emulator route, over all rounds. */
  upstreamPerNegotiation: PerContestant<RouteCounters>
  serverCpuMsPerRequest: PerContestant<number | undefined>
  emulatorCpuMsPerRequest: PerContestant<number | undefined>
  errors: PerContestant<number>
}

export interface ColdResult {
  repetitions: number
  /** Latency of the first /negotiate after the fresh server said it was ready, per repetition. */
  firstMs: PerContestant<number[]>
  /** The request right after it, for contrast. */
  secondMs: PerContestant<number[]>
  /** Upstream requests the first negotiations made, summed over repetitions. */
  upstream: PerContestant<RouteCounters>
}

export interface BenchReport {
  date: string
  machine: {
    cpuModel: string
    cpuCount: number
    totalMemoryMiB: number
    platform: string
    node: string
  }
  versions: Record<string, string | undefined>
  options: { durationMsPerSegment: number; rounds: number; coldRepetitions: number; quick: boolean }
  pids: { workerd?: number; sdk: number; emulator: number }
  /** What the warm-up cost upstream: the first Entra token and discovery live here. */
  warmupUpstream: PerContestant<RouteCounters>
  phases: PhaseResult[]
  /** The floor phase against a Worker that only answers "ok" on the same Miniflare setup. */
  floorReference?: {
    latency: LatencySummary
    requestsPerSecond: number
    serverCpuMsPerRequest?: number
    segments: Segment[]
  }
  cold: ColdResult
  /** Resident set size (now and peak) after warm-up and after each phase; workerd's is the whole
   * runtime with Miniflare's internal Workers, not one isolate. */
  memoryTimeline: ({ after: string } & PerContestant<{ rss: number; peak: number } | undefined>)[]
  bundle: BundleSize | { error: string }
}
