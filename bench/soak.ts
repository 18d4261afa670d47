// `npm run soak`: tens of thousands of negotiations through the bundled Worker on workerd, with seeded faults injected.
// Flags: --negotiations 50000 --concurrency 16 --fault-rate 0.01 --refresh-fault-rate 0.2 --seed N --warmup N --reference
// --failover: two resources and a seeded schedule of outages instead (bench/soak-failover.ts).
// Prints progress to stderr, the figures and PASS/MISS per goal to stdout, and writes reports/soak.json.
// Exits non-zero only when the harness itself fails, never for a missed goal.
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describeMachine, packageVersions } from './machine'
import { runWithResources, type Resources } from './resources'
import { finishFaults, shortenEntraTokens, startFaults, type FaultPlan } from './soak-faults'
import { runFailoverSoak } from './soak-failover'
import { createSoakProgress, runSoakLoad } from './soak-load'
import { createMemoryMonitor } from './soak-memory'
import { readSoakOptions, soakCommand } from './soak-options'
import { runReference } from './soak-reference'
import { printSoakReport } from './soak-print'
import { liveHeapSlope, rssFits, soakGoals, type SoakReport } from './soak-report'
import { checkSetup, HUB, SETUP_CHECK_NEGOTIATIONS, startSoakStage } from './soak-stage'
import { summarize } from './stats'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PROGRESS_EVERY_MS = 5_000
const int = (n: number) => n.toLocaleString('en-US')

async function main(resources: Resources): Promise<void> {
  const options = readSoakOptions()
  const signal = resources.abort.signal
  const t0 = performance.now()
  const log = (line: string) =>
    console.error(`[soak ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`)
  const command = soakCommand(options)
  log(command)
  if (options.failover) return runFailoverSoak(ROOT, resources, options, log)

  log('starting the emulator (http) and the negotiator (workerd, wrapped by bench/soak-worker.ts)')
  const stage = await startSoakStage(ROOT, resources)
  const negotiateUrl = `${stage.negotiatorUrl}/negotiate?hub=${HUB}`
  const plan: FaultPlan = {
    ...options,
    emulatorUrl: stage.emulator.ready.url,
    negotiatorUrl: stage.negotiatorUrl,
  }
  await shortenEntraTokens(plan)
  log(`setup check: ${SETUP_CHECK_NEGOTIATIONS} negotiations without faults`)
  await checkSetup(negotiateUrl, signal)
  const baseline = await startFaults(plan)

  const progress = createSoakProgress(options.negotiations)
  const monitor = createMemoryMonitor({
    workerdPid: stage.workerdPid,
    emulatorPid: stage.emulator.pid,
    heap: stage.heap,
    progress,
    // The end is measured too: warm-up, midway, end give the live heap's slope.
    liveHeapAt: [options.warmup, Math.round((options.warmup + options.negotiations) / 2)],
  })
  log(`${int(options.negotiations)} negotiations, concurrency ${options.concurrency}, faults on`)
  const loadAverageAtStart = loadavg()
  const loadStart = performance.now()
  let last = { done: 0, at: loadStart }
  const report = () => {
    const now = performance.now()
    const rate = ((progress.done - last.done) * 1000) / (now - last.at)
    last = { done: progress.done, at: now }
    const rss = monitor.latestRssMiB()
    log(
      `${int(progress.done)} / ${int(options.negotiations)}  ${rate.toFixed(0)} req/s  failures ${progress.failures.total} (saveable ${progress.failures.saveable})  workerd RSS ${rss === undefined ? '–' : `${rss.toFixed(1)} MiB`}`,
    )
  }
  await monitor.start()
  const progressTimer = setInterval(report, PROGRESS_EVERY_MS)
  let wallTimeMs: number
  try {
    await runSoakLoad(
      { url: negotiateUrl, total: options.negotiations, concurrency: options.concurrency, signal },
      progress,
    )
    wallTimeMs = performance.now() - loadStart
  } finally {
    clearInterval(progressTimer)
    await monitor.stop()
  }
  if (signal.aborted) return
  report()

  const outcome = await finishFaults(plan, baseline)
  const loadAverageAtEnd = loadavg()
  const liveHeap = monitor.liveHeap.filter((point) => point.done >= options.warmup)
  const reference = options.reference
    ? await runReference({
        root: ROOT,
        negotiations: options.negotiations,
        concurrency: options.concurrency,
        warmup: options.warmup,
        resources,
        log,
      })
    : undefined
  const partial: Omit<SoakReport, 'goals'> = {
    date: new Date().toISOString(),
    command,
    source: stage.source,
    // Others' work on a shared machine slows every process here: the load averages say how much.
    machine: { ...describeMachine(), loadAverageAtStart, loadAverageAtEnd },
    versions: await packageVersions(ROOT, ['miniflare', 'workerd', 'hono', 'jose']),
    options: {
      ...options,
      reference: String(options.reference),
      failover: String(options.failover),
    },
    faultPlan: outcome.plan,
    negotiations: progress.done,
    ok: progress.ok,
    wallTimeMs,
    requestsPerSecond: (progress.done * 1000) / wallTimeMs,
    latencyMs: summarize(Array.from(progress.okLatenciesMs.subarray(0, progress.ok))),
    failures: {
      total: progress.failures.total,
      saveable: progress.failures.saveable,
      unsaveable: progress.failures.unsaveable,
      bySignature: [...progress.failures.bySignature]
        .map(([signature, entry]) => ({ signature, ...entry }))
        .sort((a, b) => b.count - a.count),
    },
    upstream: outcome.upstream(progress.done),
    faultsInjected: outcome.injected,
    entraSources: progress.entraSources,
    rss: {
      warmupNegotiations: options.warmup,
      samples: monitor.samples,
      ...rssFits(monitor.samples, options.warmup),
    },
    liveHeap: { points: liveHeap, slopeMiBPer10kNegotiations: liveHeapSlope(liveHeap) },
    reference,
  }
  const full: SoakReport = { ...partial, goals: soakGoals(partial) }
  printSoakReport(full)
  await mkdir(join(ROOT, 'reports'), { recursive: true })
  await writeFile(join(ROOT, 'reports', 'soak.json'), JSON.stringify(full, null, 2) + '\n')
  log('wrote reports/soak.json')
}

await runWithResources('soak', main)
