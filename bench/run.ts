// `npm run bench`: our negotiator, naive Workers and an "ok" Worker in workerd, and the official Azure SDK negotiator on Node, against one TLS emulator.
// Flags: --quick (~30 s), --duration <s> per measured segment, --rounds <n>, --cold <n> (options.ts).
// Prints medians, ratios and the goals; writes reports/bench.json and the chart reports/bench.svg.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  bundleFolder,
  bundleWorkerInMemory,
  bytesByGroup,
  measureBundle,
  type BundleSize,
} from './bundle-size'
import { renderChart } from './chart'
import { measureColdStarts } from './cold'
import { measureStartup } from './startup'
import { summarizeAccessKey } from './access-key'
import { checkConnect } from './connect-check'
import { prepareStage, settleBoth } from './contestants'
import { counterDelta, readCounters } from './emulator-control'
import type { EmulatorTlsStats } from './emulator-process'
import { runLoad } from './load'
import { describeMachine, packageVersions } from './machine'
import { readOptions } from './options'
import { runPhases } from './phases'
import { memoryMiB } from './proc'
import { printReport } from './report'
import { runWithResources, type Resources } from './resources'
import { buildScenarios, type ScenarioServers } from './scenarios'
import { describeSource } from './soak-stage'
import { MAX_REQUESTS_PER_SEGMENT, type Upstream } from './segment'
import { CONTESTANTS, type BenchReport } from './types'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

async function main(resources: Resources): Promise<void> {
  const options = readOptions()
  const startedAt = new Date()
  const loadAtStart = loadavg()
  const signal = resources.abort.signal
  const t0 = performance.now()
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`)

  // Sizes do not depend on load, so the bundle is measured while the servers start.
  log('starting the TLS emulator, the SDK server and six Workers on Miniflare; wrangler bundles')
  const bundleDir = await bundleFolder()
  resources.addFolder(bundleDir, (path) => rm(path, { recursive: true, force: true }))
  const bundlePromise = resources
    .track(measureBundle(ROOT, bundleDir, signal))
    .catch((error: Error): BundleSize | { error: string } => ({ error: error.message }))
  const bundleInputsPromise = bundleWorkerInMemory(ROOT).then(
    (b) => ({
      bytes: b.bytes,
      gzipBytes: b.gzipBytes,
      top: b.inputs.slice(0, 10),
      byGroup: bytesByGroup(b.inputs),
    }),
    (error: Error) => ({ error: error.message }),
  )
  const stage = await prepareStage(ROOT, resources)
  // The copy of src/ every start of ours bundles: the figures belong to this source.
  const source = await describeSource(stage.sourceRoot)
  const { emulator } = stage
  const address = { url: emulator.ready.url, caCertPem: emulator.ready.caCertPem }
  const upstream: Upstream = {
    counters: () => readCounters(address),
    tlsHandshakes: async () => (await emulator.ask<EmulatorTlsStats>({ type: 'tls' })).handshakes,
    pid: emulator.pid,
  }
  const startWorkers = async () => ({
    ours: await stage.start.ours(),
    oursQuiet: await stage.start.ours({ logLevel: 'warn' }),
    naive: await stage.start.naive(),
    ok: await stage.start.ok(),
    oursJwt: await stage.start.ours({ auth: 'jwt' }),
    oursKey: await stage.start.ours({ credentials: 'access-key' }),
    naiveKey: await stage.start.naiveKey(),
  })
  const [sdk, workers] = await settleBoth([stage.start.sdk(), startWorkers()])
  const servers: ScenarioServers = { ...workers, sdk }
  const { phases, warmups } = await buildScenarios(servers, address)

  const memoryTimeline: BenchReport['memoryTimeline'] = []
  const sampleMemory = (after: string) => {
    const sample: BenchReport['memoryTimeline'][number] = { after }
    for (const name of CONTESTANTS) {
      const pid = servers[name].pid
      sample[name] = pid === undefined ? undefined : memoryMiB(pid)
    }
    memoryTimeline.push(sample)
  }

  // Warm-up: first tokens, JWKS, JIT, connection pools. What it cost upstream is reported too.
  const warmupUpstream: BenchReport['warmupUpstream'] = {}
  for (const { label, target } of warmups) {
    log(`warming up ${label}`)
    const before = await upstream.counters()
    for (const concurrency of [1, 8]) {
      const result = await runLoad({
        url: target.server.url + target.path,
        headers: target.headers,
        concurrency,
        durationMs: options.warmupMs,
        maxRequests: MAX_REQUESTS_PER_SEGMENT,
        signal,
      })
      if (result.firstError !== undefined)
        throw new Error(`${label} fails during warm-up: ${result.firstError}`)
    }
    warmupUpstream[label] = counterDelta(before, await upstream.counters())
  }
  // Every answer's token must open a WebSocket: the access-key ones are signed in the Worker.
  for (const { label, target } of warmups) await checkConnect(label, target, address.caCertPem)
  log("every warm-up target's token opens a WebSocket at the emulator")
  sampleMemory('warm-up')

  const results = await runPhases({
    phases,
    upstream,
    durationMs: options.durationMs,
    rounds: options.rounds,
    signal,
    log,
    afterPhase: (phase) => sampleMemory(`${phase.name}, c=${phase.concurrency}`),
  })
  if (signal.aborted) return
  // Only ours and the SDK have cold starts; the rest need not idle beside them.
  await Promise.all(
    [
      servers.naive,
      servers.naiveKey,
      servers.ok,
      servers.oursJwt,
      servers.oursKey,
      servers.oursQuiet,
    ].map((s) => s.stop()),
  )

  const cold = await measureColdStarts({
    start: stage.start,
    workDirectory: stage.workDirectory,
    upstream,
    repetitions: options.cold,
    signal,
    log,
  })
  if (signal.aborted) return
  log('start-up: compiling and running each bundle in fresh processes')
  const startup = await measureStartup({
    root: ROOT,
    oursEntry: join(stage.sourceRoot, 'src', 'index.ts'),
    workDirectory: stage.workDirectory,
    repetitions: options.startup,
    signal,
  })
  if (signal.aborted) return

  const report: BenchReport = {
    date: startedAt.toISOString(),
    loadAverage: { start: loadAtStart, end: loadavg() },
    source,
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
    pids: {
      ours: servers.ours.pid,
      oursQuiet: servers.oursQuiet.pid,
      oursKey: servers.oursKey.pid,
      naive: servers.naive.pid,
      naiveKey: servers.naiveKey.pid,
      ok: servers.ok.pid,
      sdk: servers.sdk.pid,
      emulator: emulator.pid,
    },
    warmupUpstream,
    phases: results,
    accessKey: summarizeAccessKey(results),
    cold,
    memoryTimeline,
    bundle: await bundlePromise,
    startup,
    bundleInputs: await bundleInputsPromise,
    wallSeconds: (performance.now() - t0) / 1000,
  }
  printReport(report)
  await mkdir(join(ROOT, 'reports'), { recursive: true })
  await writeFile(join(ROOT, 'reports', 'bench.json'), JSON.stringify(report, null, 2) + '\n')
  await writeFile(join(ROOT, 'reports', 'bench.svg'), renderChart(report))
  log('wrote reports/bench.json and reports/bench.svg')
}

await runWithResources('bench', main)
