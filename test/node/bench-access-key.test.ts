// The benchmark's access-key contestants: their summary, table column, chart rows, and the WebSocket check of their tokens.
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessKeyLines, summarizeAccessKey } from '../../bench/access-key'
import { latencyGroups, throughputGroups } from '../../bench/chart-data'
import { renderChart } from '../../bench/chart'
import { connectOnce } from '../../bench/connect-check'
import { reportLines } from '../../bench/report'
import { table } from '../../bench/table'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import { newIdentityPhase, report } from '../support/bench-fixtures'

const ACCESS_KEY = 'BenchAccessKey0123456789abcdefABCDEFghijklm='

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
    expect(header?.trim().split(/\s+/).slice(0, 7)).toEqual([
      'ours',
      'ours',
      'ours',
      'naive',
      'naive',
      'ok',
      'SDK',
    ])
    expect(subheader?.trim().split(/\s{2,}/)).toEqual([
      '(LOG_LEVEL=warn)',
      '(access key)',
      '(access key)',
    ])
    const throughput = rows.find((r) => r.includes('requests/s'))
    expect(
      throughput
        ?.trim()
        .split(/\s{2,}/)
        .slice(1, 8),
    ).toEqual(['100', '140', '300', '150', '400', '600', '120'])
  })

  it('has rows in the chart, naive (access key) marked as a reference', () => {
    const built = report(newIdentityPhase())
    const [latency] = latencyGroups(built)
    expect(latency?.rows.map((r) => r.label)).toEqual([
      'ours',
      'ours (LOG_LEVEL=warn)',
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
