// `npm run soak -- --failover`: two resources, a seeded schedule of primary outages, flapping and a both-down window.
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { MAX_OPEN_MS } from '../src/webpubsub/resource-health'
import { describeMachine, packageVersions } from './machine'
import type { Resources } from './resources'
import {
  failoverFigures,
  failoverGoals,
  perSecond,
  SHARE_THRESHOLD,
  timeline,
  type FailoverWindows,
  type NegotiationRecord,
} from './soak-failover-analysis'
import { startFailoverLoad } from './soak-failover-load'
import { printFailoverReport, type FailoverReport } from './soak-failover-print'
import { describePhase, failoverSchedule } from './soak-failover-schedule'
import { shortenEntraTokens } from './soak-faults'
import { createSoakProgress } from './soak-load'
import { createMemoryMonitor } from './soak-memory'
import { soakCommand, type SoakOptions } from './soak-options'
import { liveHeapSlope, memoryGoals, rssFits } from './soak-report'
import { checkSetup, HUB, SETUP_CHECK_NEGOTIATIONS, startSoakStage } from './soak-stage'

/** "Back on the primary": this long at ≥ 90 % before the next phase starts or the run ends. */
const SETTLED_MS = 3_000
/** Never wait longer for traffic to return than the longest open time and a margin. */
const SETTLE_CAP_MS = MAX_OPEN_MS + 15_000

async function control(endpoint: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${endpoint}/_emulator/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!response.ok)
    throw new Error(
      `POST ${endpoint}/_emulator/${path}: ${response.status} ${await response.text()}`,
    )
}

export async function runFailoverSoak(
  root: string,
  resources: Resources,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<void> {
  const signal = resources.abort.signal
  const schedule = failoverSchedule(options.seed)
  log(`schedule (seed ${options.seed}): ${schedule.phases.map(describePhase).join('; ')}`)
  log('starting the emulator with 2 resources and the negotiator with a secondary endpoint')
  const stage = await startSoakStage(root, resources, 2)
  const endpoints = stage.emulator.ready.demo.endpoints
  const [primary, secondary] = endpoints
  if (primary === undefined || secondary === undefined)
    throw new Error('the emulator has no secondary')
  const negotiateUrl = `${stage.negotiatorUrl}/negotiate?hub=${HUB}`
  await shortenEntraTokens({ ...options, emulatorUrl: primary, negotiatorUrl: stage.negotiatorUrl })
  log(`setup check: ${SETUP_CHECK_NEGOTIATIONS} negotiations, both resources up`)
  await checkSetup(negotiateUrl, signal)

  const progress = createSoakProgress(0)
  const monitor = createMemoryMonitor({
    workerdPid: stage.workerdPid,
    emulatorPid: stage.emulator.pid,
    heap: stage.heap,
    progress,
    liveHeapAt: [],
    // The live heap read stalls the isolate for about a second: only while nothing is scheduled.
    liveHeapAtMs: [schedule.warmupMs - 4_000],
  })
  const loadAverageAtStart = loadavg()
  await monitor.start()
  const startedAt = performance.now()
  const since = () => performance.now() - startedAt
  const load = startFailoverLoad({
    url: negotiateUrl,
    negotiatorUrl: stage.negotiatorUrl,
    endpoints,
    concurrency: options.concurrency,
    signal,
    progress,
    startedAt,
  })
  const events: { tMs: number; what: string }[] = []
  const windows: FailoverWindows = { outages: [], bothDown: [], flaps: [] }
  const mark = (what: string) => {
    const tMs = since()
    events.push({ tMs, what })
    log(`${what} (at ${(tMs / 1000).toFixed(1)} s)`)
    return tMs
  }
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  const onPrimary = () => {
    const from = since() - SETTLED_MS
    const recent = load.records.filter((r) => r.doneMs >= from)
    return (
      recent.length > 0 &&
      recent.filter((r) => r.resource === 0).length >= SHARE_THRESHOLD * recent.length
    )
  }
  const settle = async (minMs: number) => {
    const from = since()
    while (!signal.aborted && since() - from < SETTLE_CAP_MS) {
      if (since() - from >= minMs && onPrimary()) return
      await sleep(250)
    }
  }
  const progressTimer = setInterval(() => {
    const last5 = load.records.filter((r) => r.doneMs >= since() - 5_000)
    const primaryShare = last5.filter((r) => r.resource === 0).length / Math.max(1, last5.length)
    log(
      `${progress.done} done, ${(last5.length / 5).toFixed(0)} req/s, ${(primaryShare * 100).toFixed(0)}% on the primary, failures ${progress.failures.total}, workerd RSS ${monitor.latestRssMiB()?.toFixed(1) ?? '–'} MiB`,
    )
  }, 5_000)
  try {
    await sleep(schedule.warmupMs)
    for (const phase of schedule.phases) {
      if (signal.aborted) break
      if (phase.kind === 'outage') {
        await control(primary, 'outage', { down: true })
        const start = mark('primary down')
        if (phase.bothDown !== undefined) {
          await sleep(phase.bothDown.atMs)
          await control(secondary, 'outage', { down: true })
          const bothStart = mark('secondary down')
          await sleep(phase.bothDown.lengthMs)
          await control(secondary, 'outage', { down: false })
          windows.bothDown.push({ startMs: bothStart, endMs: mark('secondary up') })
        }
        await sleep(Math.max(0, start + phase.lengthMs - since()))
        await control(primary, 'outage', { down: false })
        windows.outages.push({ startMs: start, endMs: mark('primary up') })
      } else {
        const chaos = {
          route: 'webpubsub.generateToken',
          faults: [{ kind: 'status', status: 503 }],
          seed: options.seed,
        }
        await control(primary, 'chaos', { ...chaos, rate: phase.rate })
        const start = mark(`primary flaps (${Math.round(phase.rate * 100)}% 503)`)
        await sleep(phase.lengthMs)
        await control(primary, 'chaos', { ...chaos, rate: 0 })
        windows.flaps.push({ startMs: start, endMs: mark('primary stops flapping') })
      }
      await settle(schedule.settleMs)
    }
  } finally {
    load.stop()
    await load.done
    clearInterval(progressTimer)
    await monitor.stop()
  }
  if (signal.aborted) return
  const durationMs = since()
  const loadAverageAtEnd = loadavg()

  const records: NegotiationRecord[] = load.records
  const figures = failoverFigures(records, windows, load.breakers, durationMs)
  const warmupNegotiations = records.filter((r) => r.doneMs < schedule.warmupMs).length
  const rss = {
    warmupNegotiations,
    samples: monitor.samples,
    ...rssFits(monitor.samples, warmupNegotiations),
  }
  const liveHeapPoints = monitor.liveHeap
  const liveHeap = {
    points: liveHeapPoints,
    slopeMiBPer10kNegotiations: liveHeapSlope(liveHeapPoints),
  }
  const report: FailoverReport = {
    date: new Date().toISOString(),
    command: soakCommand(options),
    source: stage.source,
    machine: { ...describeMachine(), loadAverageAtStart, loadAverageAtEnd },
    versions: await packageVersions(root, ['miniflare', 'workerd', 'hono', 'jose']),
    schedule,
    events,
    windows,
    negotiations: records.length,
    ok: progress.ok,
    durationMs,
    requestsPerSecond: (records.length * 1000) / durationMs,
    figures,
    timeline: timeline(perSecond(records, durationMs), events, load.breakers),
    breakerSamples: load.breakers.length,
    rss,
    liveHeap,
    goals: [...failoverGoals(figures), ...memoryGoals(rss, liveHeap)],
  }
  printFailoverReport(report)
  await mkdir(join(root, 'reports'), { recursive: true })
  await writeFile(
    join(root, 'reports', 'soak-failover.json'),
    JSON.stringify({ ...report, breakers: load.breakers }, null, 2) + '\n',
  )
  log('wrote reports/soak-failover.json')
}
