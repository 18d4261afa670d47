// Runs the phases: each contestant in turn, in an order that rotates from round to round and phase to phase.
import type { Phase } from './scenarios'
import { measureSegment, type Upstream } from './segment'
import { summarizePhase } from './summary'
import type { PerContestant, PhaseResult, Segment } from './types'
import { CONTESTANTS } from './types'

const PAUSE_BETWEEN_SEGMENTS_MS = 100

export interface PhasesOptions {
  phases: Phase[]
  upstream: Upstream
  durationMs: number
  rounds: number
  signal: AbortSignal
  log: (line: string) => void
  afterPhase: (phase: PhaseResult) => void
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** The list turned left by `by` places: everyone goes first in some round. */
const rotate = <T>(list: T[], by: number): T[] => [
  ...list.slice(by % list.length),
  ...list.slice(0, by % list.length),
]

export async function runPhases(options: PhasesOptions): Promise<PhaseResult[]> {
  const results: PhaseResult[] = []
  for (const [phaseIndex, phase] of options.phases.entries()) {
    const names = CONTESTANTS.filter((name) => phase.targets[name] !== undefined)
    const segments: PerContestant<Segment[]> = {}
    const samples: PerContestant<number[]> = {}
    await phase.before?.()
    try {
      for (let round = 0; round < options.rounds; round += 1) {
        // Drift within a phase (thermal, neighbours) then hits every contestant alike.
        for (const [position, name] of rotate(names, round + phaseIndex).entries()) {
          const target = phase.targets[name]
          if (options.signal.aborted) return results
          if (target === undefined) continue
          options.log(
            `${phase.name} c=${phase.concurrency}, round ${round + 1}/${options.rounds}: ${name}`,
          )
          const plan = {
            path: target.path,
            headers: target.headers,
            concurrency: phase.concurrency,
            durationMs: options.durationMs * phase.durationShare,
            round,
            position,
          }
          const measured = await measureSegment(
            target.server,
            options.upstream,
            plan,
            options.signal,
          )
          ;(segments[name] ??= []).push(measured.segment)
          // concat, not push(...): a segment may hold more samples than the argument limit.
          samples[name] = (samples[name] ?? []).concat(measured.latenciesMs)
          await sleep(PAUSE_BETWEEN_SEGMENTS_MS)
        }
      }
    } finally {
      // After an interrupt the emulator may be gone already: nothing left to undo then.
      await phase.after?.().catch((error: unknown) => {
        if (!options.signal.aborted) throw error
      })
    }
    const paths: PerContestant<string> = {}
    for (const name of names) paths[name] = phase.targets[name]?.path
    const result = summarizePhase(phase, paths, segments, samples)
    results.push(result)
    options.afterPhase(result)
  }
  return results
}
