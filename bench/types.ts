// The shapes of the benchmark's results, as printed, drawn and written to reports/bench.json.
import type { BundleInput, BundleSize } from './bundle-size'
import type { RouteCounters } from './emulator-control'
import type { StartupResult } from './startup'
import type { LatencySummary } from './stats'

/**
 * ours: the negotiator in workerd; naive: a Worker making the same two upstream calls and nothing
 * else; ok: a Worker that only answers "ok"; sdk: the official Azure SDKs on Node. oursKey and
 * naiveKey: the same two Workers in access-key mode, signing tokens themselves (no upstream call).
 * oursQuiet: ours with LOG_LEVEL=warn, without the audit line, to show what that line costs.
 * All but sdk run on the same Miniflare setup.
 */
export type ContestantName = 'ours' | 'oursQuiet' | 'oursKey' | 'naive' | 'naiveKey' | 'ok' | 'sdk'

export const CONTESTANTS: readonly ContestantName[] = [
  'ours',
  'oursQuiet',
  'oursKey',
  'naive',
  'naiveKey',
  'ok',
  'sdk',
]

export const LABELS: Record<ContestantName, string> = {
  ours: 'ours',
  oursQuiet: 'ours (LOG_LEVEL=warn)',
  oursKey: 'ours (access key)',
  naive: 'naive',
  naiveKey: 'naive (access key)',
  ok: 'ok',
  sdk: 'SDK',
}

/** The contestants in access-key mode: they make no upstream call at all. */
export const ACCESS_KEY_CONTESTANTS: readonly ContestantName[] = ['oursKey', 'naiveKey']

/** Each phase has its own subset of contestants. */
export type PerContestant<T> = Partial<Record<ContestantName, T>>

/** One contestant's measured stretch of load within a round. */
export interface Segment {
  round: number
  /** 0 when this contestant went first in the round, 1 when second, … */
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
  /** CPU time of the bench process itself (the load generator: Node's fetch) during the segment. */
  clientCpuMs?: number
  /** Ours only: Server-Timing `entra;desc=` of each answer (memory, kv, fetch). */
  entraSources: Record<string, number>
}

export interface PhaseResult {
  /** Stable key: floor, sequential, c8, new-identity, c32, repeat-identity, repeat-identity-c1. */
  id: string
  name: string
  concurrency: number
  /** Whether the requests were negotiations (the floor's are not). */
  negotiation: boolean
  /** Path and query each contestant was asked for. */
  paths: PerContestant<string>
  segments: PerContestant<Segment[]>
  /** Every round's latencies pooled. */
  latency: PerContestant<LatencySummary>
  /** Median over rounds of each round's successful requests per second. */
  requestsPerSecond: PerContestant<number>
  /** Upstream requests per successful request, per emulator route, over all rounds. */
  upstreamPerRequest: PerContestant<RouteCounters>
  serverCpuMsPerRequest: PerContestant<number | undefined>
  emulatorCpuMsPerRequest: PerContestant<number | undefined>
  clientCpuMsPerRequest: PerContestant<number | undefined>
  errors: PerContestant<number>
}

/** A fresh process's first and second negotiation, and what the first cost upstream. */
export interface ColdSeries {
  firstMs: number[]
  secondMs: number[]
  /** Upstream requests the first negotiations made, summed over repetitions. */
  upstream: RouteCounters
  /** Ours only: where the first answers' Entra token came from (Server-Timing). */
  entraSources: Record<string, number>
}

export interface ColdResult {
  repetitions: number
  /** A new workerd with empty memory and empty KV; a new Node with empty caches. */
  ours: ColdSeries
  sdk: ColdSeries
  /** A new workerd (a new isolate) whose KV an earlier one filled: the edge's usual cold start. */
  oursWarmKv: ColdSeries
}

/** One access-key contestant in the new-identity phase, all rounds together. */
export interface AccessKeyFigures {
  requestsPerSecond: number | undefined
  p50Ms: number | undefined
  p99Ms: number | undefined
  negotiations: number
  errors: number
  /** Emulator requests on every instrumented route during its segments: 0 is the point. */
  upstreamCalls: number
  upstreamTlsHandshakes: number
  upstreamCallsPerNegotiation: number
}

/** ours (access key) against another contestant of the same phase. */
export interface AccessKeyRatio {
  /** Medians of the rounds' requests/s, divided. */
  requestsPerSecond: number | undefined
  /** The same within each round. */
  perRound: number[]
  /** Pooled p50 latencies, divided. */
  p50: number | undefined
}

/** What the access-key contestants showed, as printed (access-key.ts). */
export interface AccessKeySummary {
  phase: string
  concurrency: number
  contestants: Partial<Record<ContestantName, AccessKeyFigures>>
  ratios: Record<'ok' | 'naive' | 'naiveKey' | 'ours', AccessKeyRatio>
}

export interface BenchReport {
  date: string
  /** 1-, 5- and 15-minute load averages at the start and the end (the machine is shared). */
  loadAverage: { start: number[]; end: number[] }
  /** The commit and a SHA-256 of src/ (path and content) when the run began. */
  source: { gitHead?: string; srcSha256: string }
  machine: {
    cpuModel: string
    cpuCount: number
    totalMemoryMiB: number
    platform: string
    node: string
  }
  versions: Record<string, string | undefined>
  options: { durationMsPerSegment: number; rounds: number; coldRepetitions: number; quick: boolean }
  pids: PerContestant<number | undefined> & { emulator: number }
  /** What each warm-up cost upstream: the first Entra token, discovery and JWKS live here. */
  warmupUpstream: Record<string, RouteCounters>
  phases: PhaseResult[]
  /** Access-key mode in the new-identity phase; undefined if that phase did not run. */
  accessKey: AccessKeySummary | undefined
  cold: ColdResult
  /** Resident set size after warm-up and after each phase; workerd's is the whole runtime with
   * Miniflare's internal Workers, not one isolate. */
  memoryTimeline: ({ after: string } & PerContestant<{ rss: number; peak: number } | undefined>)[]
  bundle: BundleSize | { error: string }
  /** Compile and top-level time of ours and the naive Worker; undefined when interrupted first. */
  startup: StartupResult | undefined
  /** src/index.ts bundled in memory as wrangler bundles it: sizes and the heaviest inputs. */
  bundleInputs:
    | { bytes: number; gzipBytes: number; top: BundleInput[]; byGroup: BundleInput[] }
    | { error: string }
  /** Seconds from start to the report. */
  wallSeconds: number
}
