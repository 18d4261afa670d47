// The measured phases: each contestant in turn, in alternating order, round after round.
import { HUB, type Server } from './contestants'
import { measureSegment, type Upstream } from './segment'
import { median, summarize } from './stats'
import { summarizePhase } from './summary'
import type { BenchReport, ContestantName, PerContestant, PhaseResult, Segment } from './types'

export const NEGOTIATE = `/negotiate?hub=${HUB}`
const PAUSE_BETWEEN_SEGMENTS_MS = 100

interface Phase {
  name: string
  path: string
  concurrency: number
  /** Share of --duration this phase's segments last. */
  durationShare: number
  /** Also measure the reference Worker (a bare "ok" on Miniflare) in this phase. */
  reference?: boolean
}

// The floor is the cheapest route each server has (no upstream call): what the HTTP stack alone
// costs, so that negotiate − floor shows the negotiation's own work.
const PHASES: Phase[] = [
  {
    name: 'GET /healthz (floor)',
    path: '/healthz',
    concurrency: 1,
    durationShare: 0.5,
    reference: true,
  },
  { name: 'GET /negotiate', path: NEGOTIATE, concurrency: 1, durationShare: 1 },
  { name: 'GET /negotiate', path: NEGOTIATE, concurrency: 8, durationShare: 1 },
  { name: 'GET /negotiate', path: NEGOTIATE, concurrency: 32, durationShare: 1 },
]

export interface PhasesOptions {
  servers: PerContestant<Server>
  /** A Worker that only answers "ok" on the same Miniflare setup, for the floor phase. */
  reference: Server
  upstream: Upstream
  durationMs: number
  rounds: number
  signal: AbortSignal
  log: (line: string) => void
  afterPhase: (phase: PhaseResult) => void
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

export async function runPhases(
  options: PhasesOptions,
): Promise<{ phases: PhaseResult[]; floorReference: BenchReport['floorReference'] }> {
  const phases: PhaseResult[] = []
  let floorReference: BenchReport['floorReference']
  for (const [phaseIndex, phase] of PHASES.entries()) {
    const segments: PerContestant<Segment[]> = { ours: [], sdk: [] }
    const samples: PerContestant<number[]> = { ours: [], sdk: [] }
    const referenceSegments: Segment[] = []
    let referenceSamples: number[] = []
    for (let round = 0; round < options.rounds; round += 1) {
      // Alternate who goes first, so drift within a phase (thermal, neighbours) hits both.
      const order: (ContestantName | 'reference')[] =
        (round + phaseIndex) % 2 === 0 ? ['ours', 'sdk'] : ['sdk', 'ours']
      if (phase.reference) order.splice(round % 3, 0, 'reference')
      for (const [position, name] of order.entries()) {
        if (options.signal.aborted) return { phases, floorReference }
        options.log(
          `${phase.name} c=${phase.concurrency}, round ${round + 1}/${options.rounds}: ${name}`,
        )
        const server = name === 'reference' ? options.reference : options.servers[name]
        const durationMs = options.durationMs * phase.durationShare
        const plan = {
          path: phase.path,
          concurrency: phase.concurrency,
          durationMs,
          round,
          position,
        }
        const measured = await measureSegment(server, options.upstream, plan, options.signal)
        // concat, not push(...): a segment may hold more samples than the argument limit.
        if (name === 'reference') {
          referenceSegments.push(measured.segment)
          referenceSamples = referenceSamples.concat(measured.latenciesMs)
        } else {
          segments[name].push(measured.segment)
          samples[name] = samples[name].concat(measured.latenciesMs)
        }
        await sleep(PAUSE_BETWEEN_SEGMENTS_MS)
      }
    }
    const result = summarizePhase(phase, segments, samples)
    phases.push(result)
    options.afterPhase(result)
    if (phase.reference) floorReference = summarizeReference(referenceSegments, referenceSamples)
  }
  return { phases, floorReference }
}

function summarizeReference(
  segments: Segment[],
  samples: number[],
): NonNullable<BenchReport['floorReference']> {
  const cpu = segments.map((s) => s.serverCpuMs)
  const requests = segments.reduce((sum, s) => sum + s.requests, 0)
  return {
    latency: summarize(samples),
    requestsPerSecond: median(segments.map((s) => s.requestsPerSecond)),
    serverCpuMsPerRequest: cpu.some((ms) => ms === undefined)
      ? undefined
      : (cpu as number[]).reduce((a, b) => a + b, 0) / Math.max(1, requests),
    segments,
  }
}
