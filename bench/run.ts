// `npm run bench`: our negotiator in workerd vs. the official Azure SDK negotiator on Node, side by side, against one TLS emulator.
// Flags: --quick (~20 s), --duration <s> per measured segment, --rounds <n>, --cold <n>.
// Prints a table of medians and ratios (ours / SDK) and writes reports/bench.json.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleFolder, measureBundle, type BundleSize } from './bundle-size'
import { measureColdStarts } from './cold'
import { prepareStage, settleBoth, type Server } from './contestants'
import { counterDelta, readCounters, type RouteCounters } from './emulator-control'
import type { EmulatorTlsStats } from './emulator-process'
import { runLoad } from './load'
import { describeMachine, packageVersions } from './machine'
import { memoryMiB } from './proc'
import { printReport } from './report'
import { runWithResources, type Resources } from './resources'
import { NEGOTIATE, runPhases } from './phases'
import { MAX_REQUESTS_PER_SEGMENT, type Upstream } from './segment'
import type { BenchReport, PerContestant } from './types'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface Options {
  quick: boolean
  durationMs: number
  rounds: number
  cold: number
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      cold: { type: 'string' },
    },
  })
  const quick = values.quick ?? false
  const number = (raw: string | undefined, fallback: number, name: string, max: number) => {
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!(Number.isFinite(value) && value >= 0 && value <= max))
      throw new Error(`--${name} must be a number 0–${max}, got ${raw}`)
    return value
  }
  return {
    quick,
    durationMs: Math.max(200, number(values.duration, quick ? 0.5 : 2.5, 'duration', 60) * 1000),
    rounds: Math.max(1, Math.round(number(values.rounds, quick ? 2 : 3, 'rounds', 20))),
    cold: Math.round(number(values.cold, quick ? 1 : 3, 'cold', 20)),
  }
}

async function main(resources: Resources): Promise<void> {
  const options = readOptions()
  const startedAt = new Date()
  const signal = resources.abort.signal
  const t0 = performance.now()
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`)

  // Sizes do not depend on load, so the bundle is measured while the servers start.
  log('starting the TLS emulator, our negotiator (workerd), the SDK server; wrangler bundles')
  const bundleDir = await bundleFolder()
  resources.addFolder(bundleDir, (path) => rm(path, { recursive: true, force: true }))
  const bundlePromise = resources
    .track(measureBundle(ROOT, bundleDir, signal))
    .catch((error: Error): BundleSize | { error: string } => ({ error: error.message }))
  const stage = await prepareStage(ROOT, resources)
  const { emulator } = stage
  const upstream: Upstream = {
    counters: () => readCounters(emulator.ready.url, emulator.ready.caCertPem),
    tlsHandshakes: async () => (await emulator.ask<EmulatorTlsStats>({ type: 'tls' })).handshakes,
    pid: emulator.pid,
  }
  const [ours, sdk] = await settleBoth([stage.start.ours(), stage.start.sdk()])
  const servers: PerContestant<Server> = { ours, sdk }
  // Started after ours: each workerd's pid is found as the one new child since the last start.
  const reference = await stage.startReference()
  const bundle = await bundlePromise

  const memoryTimeline: BenchReport['memoryTimeline'] = []
  const sampleMemory = (after: string) => {
    const of = (server: Server) => (server.pid === undefined ? undefined : memoryMiB(server.pid))
    memoryTimeline.push({ after, ours: of(servers.ours), sdk: of(servers.sdk) })
  }

  // Warm-up: the first Entra token, JIT, connection pools. What it cost upstream is reported too.
  const warmupUpstream: PerContestant<RouteCounters> = { ours: {}, sdk: {} }
  for (const name of ['ours', 'sdk'] as const) {
    log(`warming up ${name}`)
    const before = await upstream.counters()
    for (const concurrency of [1, 8]) {
      const result = await runLoad({
        url: servers[name].url + NEGOTIATE,
        concurrency,
        durationMs: options.quick ? 300 : 1000,
        maxRequests: MAX_REQUESTS_PER_SEGMENT,
        signal,
      })
      if (result.firstError !== undefined)
        throw new Error(`${name} fails during warm-up: ${result.firstError}`)
    }
    warmupUpstream[name] = counterDelta(before, await upstream.counters())
  }
  sampleMemory('warm-up')

  const { phases, floorReference } = await runPhases({
    servers,
    reference,
    upstream,
    durationMs: options.durationMs,
    rounds: options.rounds,
    signal,
    log,
    afterPhase: (phase) => sampleMemory(`${phase.name}, concurrency ${phase.concurrency}`),
  })
  if (signal.aborted) return
  await reference.stop()

  const cold = await measureColdStarts(stage.start, upstream, options.cold, signal, log)
  if (signal.aborted) return

  const report: BenchReport = {
    date: startedAt.toISOString(),
    machine: describeMachine(),
    versions: await packageVersions(ROOT, [
      'miniflare',
      'workerd',
      '@azure/web-pubsub',
      '@azure/identity',
    ]),
    options: {
      durationMsPerSegment: options.durationMs,
      rounds: options.rounds,
      coldRepetitions: options.cold,
      quick: options.quick,
    },
    pids: { workerd: servers.ours.pid, sdk: servers.sdk.pid ?? -1, emulator: emulator.pid },
    warmupUpstream,
    phases,
    floorReference,
    cold,
    memoryTimeline,
    bundle,
  }
  printReport(report)
  await mkdir(join(ROOT, 'reports'), { recursive: true })
  await writeFile(join(ROOT, 'reports', 'bench.json'), JSON.stringify(report, null, 2) + '\n')
  log('wrote reports/bench.json')
}

await runWithResources('bench', main)
