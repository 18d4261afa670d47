// The benchmark's view of the audit line (ours with LOG_LEVEL=warn beside ours) and its start-up measurement of each bundle.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { throughputGroups } from '../../bench/chart-data'
import { auditLineLines } from '../../bench/goals'
import { measureStartup, startupLines } from '../../bench/startup'
import { newIdentityPhase, report } from '../support/bench-fixtures'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

describe('bench: the audit line', () => {
  it('divides ours without the line by naive and ours with it by ours without, round by round', () => {
    const phase = newIdentityPhase()
    phase.serverCpuMsPerRequest = { ours: 0.9, oursQuiet: 0.8, naive: 0.75 }
    const [line] = auditLineLines(report(phase))
    expect(line).toContain('ours without it (LOG_LEVEL=warn) 140 req/s = 0.93× naive')
    expect(line).toContain('(per round: 0.93, 0.93)')
    expect(line).toContain('ours with it = 0.71× ours without (per round: 0.71, 0.71)')
    expect(line).toContain('server CPU ms/request 0.90 with, 0.80 without, 0.75 naive')
    const [throughput] = throughputGroups(report(phase))
    expect(throughput?.title).toContain('ours (LOG_LEVEL=warn)/naive 0.93×')
  })

  it('says nothing when the run had no such contestant', () => {
    const phase = newIdentityPhase()
    delete phase.requestsPerSecond.oursQuiet
    expect(auditLineLines(report(phase))).toEqual([])
  })
})

describe('bench: start-up of each bundle', () => {
  it('compiles and runs ours and the naive Worker in fresh processes, ours the larger', async () => {
    const workDirectory = await mkdtemp(join(tmpdir(), 'bench-startup-'))
    try {
      const startup = await measureStartup({
        root: ROOT,
        oursEntry: join(ROOT, 'src', 'index.ts'),
        workDirectory,
        repetitions: 1,
        signal: new AbortController().signal,
      })
      expect(startup.ours.bytes).toBeGreaterThan(10 * startup.naive.bytes)
      for (const name of ['ours', 'naive'] as const) {
        expect(startup[name].compileMs).toHaveLength(1)
        expect(startup[name].compileMs[0]).toBeGreaterThan(0)
        expect(startup[name].evaluateMs[0]).toBeGreaterThan(0)
      }
      // Ours builds its app at the top level; the naive Worker only declares functions.
      expect(startup.ours.evaluateMs[0]).toBeGreaterThan(startup.naive.evaluateMs[0]!)
      const [line] = startupLines(startup)
      expect(line).toMatch(
        /ours \d+\.\d KiB \(gzip \d+\.\d KiB\): compile \d+\.\d\d ms \+ top level/,
      )
      expect(line).toContain('median of 1')
    } finally {
      await rm(workDirectory, { recursive: true, force: true })
    }
  })

  it('prints nothing when start-up was not measured', () => {
    expect(startupLines(undefined)).toEqual([])
  })
})
