// The benchmark's access-key contestants: their summary, table column, chart rows, and the WebSocket check of their tokens.
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessKeyLines, summarizeAccessKey } from '../../bench/access-key'
import { latencyGroups, throughputGroups } from '../../bench/chart-data'
import { renderChart } from '../../bench/chart'
import { connectOnce } from '../../bench/connect-check'
import { reportLines } from '../../bench/report'
import { summarizePhase } from '../../bench/summary'
import { table } from '../../bench/table'
import type { BenchReport, PerContestant, PhaseResult, Segment } from '../../bench/types'
import { startEmulator, type RunningEmulator } from '../../emulator/index'

const ACCESS_KEY = 'BenchAccessKey0123456789abcdefABCDEFghijklm='

/** One round of one contestant: `rps` requests in a second, each `ms` long, `upstream` calls. */
function segment(round: number, rps: number, ms: number, upstream: Record<string, number> = {}) {
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
function newIdentityPhase(oursKeyUpstream: Record<string, number> = {}): PhaseResult {
  const auth = { 'webpubsub.generateToken': 100 }
  const figures: PerContestant<[rps: number, ms: number, upstream: Record<string, number>]> = {
    ours: [100, 40, auth],
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

function report(phase: PhaseResult): BenchReport {
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
    wallSeconds: 1,
  }
}

describe('bench: access-key contestants', () => {
  it('sums every emulator route for the access-key summary and divides by the references', () => {
    const summary = summarizeAccessKey([newIdentityPhase()])
    expect(summary?.contestants.oursKey).toMatchObject({
      requestsPerSecond: 300,
      p50Ms: 10,
      p99Ms: 10,
      negotiations: 600,
      upstreamCalls: 0,
      upstreamCallsPerNegotiation: 0,
    })
    expect(summary?.ratios.ok).toEqual({ requestsPerSecond: 0.5, perRound: [0.5, 0.5], p50: 2 })
    expect(summary?.ratios.naive.requestsPerSecond).toBe(2)
    expect(summary?.ratios.naiveKey.requestsPerSecond).toBe(0.75)

    const lines = accessKeyLines(summary)
    expect(lines).toContain('  PASS  0 upstream calls and 0 TLS handshakes at the emulator')
    expect(lines.join('\n')).toContain(
      'ours (access key) / ok: req/s 0.50× (per round: 0.50, 0.50), p50 2.00×',
    )
    expect(lines.join('\n')).toContain('ours (access key) / naive: req/s 2.00×')
  })

  it('says MISS when any emulator route moved during an access-key segment', () => {
    const summary = summarizeAccessKey([newIdentityPhase({ 'oidc.jwks': 1 })])
    expect(summary?.contestants.oursKey?.upstreamCalls).toBe(2)
    expect(accessKeyLines(summary)).toContain(
      '  MISS  0 upstream calls and 0 TLS handshakes at the emulator',
    )
  })

  it('has a column in the printed table, its label on two header lines', () => {
    const [header, subheader, ...rows] = table(reportLines(report(newIdentityPhase()))).split('\n')
    expect(header?.trim().split(/\s+/).slice(0, 6)).toEqual([
      'ours',
      'ours',
      'naive',
      'naive',
      'ok',
      'SDK',
    ])
    expect(subheader?.trim().split(/\s{2,}/)).toEqual(['(access key)', '(access key)'])
    const throughput = rows.find((r) => r.includes('requests/s'))
    expect(
      throughput
        ?.trim()
        .split(/\s{2,}/)
        .slice(1, 7),
    ).toEqual(['100', '300', '150', '400', '600', '120'])
  })

  it('has rows in the chart, naive (access key) marked as a reference', () => {
    const built = report(newIdentityPhase())
    const [latency] = latencyGroups(built)
    expect(latency?.rows.map((r) => r.label)).toEqual([
      'ours',
      'ours (access key)',
      'naive (reference)',
      'naive (access key, reference)',
      'ok (reference)',
      'SDK',
    ])
    const [throughput] = throughputGroups(built)
    expect(throughput?.rows.find((r) => r.label === 'ours (access key)')?.note).toBe('300 req/s')
    expect(throughput?.title).toContain('ours (access key)/ok 0.50×, /naive 2.00×')
    expect(renderChart(built)).toContain('>ours (access key)</text>')
  })
})

describe('bench: the WebSocket check of negotiated tokens', () => {
  let emulator: RunningEmulator
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, quiet: true, accessKey: ACCESS_KEY })
  })
  afterAll(() => emulator.close())

  const url = async (key: string) => {
    const endpoint = emulator.url
    const token = await new SignJWT({ role: [], 'webpubsub.group': [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('bench-user')
      .setAudience(`${endpoint}/client/hubs/chat`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(key))
    return `${endpoint.replace(/^http/, 'ws')}/client/hubs/chat?access_token=${token}`
  }

  it('connects with a token signed with the access key', async () => {
    await expect(connectOnce(await url(ACCESS_KEY), '')).resolves.toBeUndefined()
  })

  it('rejects with the refused upgrade for a token signed with another key', async () => {
    await expect(connectOnce(await url('another-key'), '')).rejects.toThrow('upgrade refused: 401')
  })
})
