// `npm run bench`: our negotiator in workerd vs. the official Azure SDK negotiator on Node, side by side, against one TLS emulator.
// Flags: --quick (~20 s), --duration <s> per measured segment, --rounds <n>, --cold <n>.
// Prints a table of medians and ratios (ours / SDK) and writes reports/bench.json.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, release, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { bundleFolder, measureBundle, type BundleSize } from './bundle-size'
import { HUB, prepareStage, settleBoth, type Server } from './contestants'
import type { EmulatorTlsStats } from './emulator-process'
import { counterDelta, readCounters, type RouteCounters } from './emulator-control'
import { runLoad, timeOne } from './load'
import { cpuMs, memoryMiB } from './proc'
import { printReport } from './report'
import { Resources } from './resources'
import { median, summarize } from './stats'
import { summarizePhase } from './summary'
import type {
  BenchReport,
  ColdResult,
  ContestantName,
  PerContestant,
  PhaseResult,
  Segment,
} from './types'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MAX_REQUESTS_PER_SEGMENT = 200_000
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
  { name: 'GET /negotiate', path: `/negotiate?hub=${HUB}`, concurrency: 1, durationShare: 1 },
  { name: 'GET /negotiate', path: `/negotiate?hub=${HUB}`, concurrency: 8, durationShare: 1 },
  { name: 'GET /negotiate', path: `/negotiate?hub=${HUB}`, concurrency: 32, durationShare: 1 },
]

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

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

async function packageVersion(name: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')
    return (JSON.parse(text) as { version: string }).version
  } catch {
    return undefined
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
  log(
    'starting the TLS emulator, our negotiator (workerd) and the SDK server; bundling with wrangler',
  )
  const bundleDir = await bundleFolder()
  resources.addFolder(bundleDir, (path) => rm(path, { recursive: true, force: true }))
  const bundlePromise = resources
    .track(measureBundle(ROOT, bundleDir, signal))
    .catch((error: Error): BundleSize | { error: string } => ({ error: error.message }))
  const stage = await prepareStage(ROOT, resources)
  const emulator = stage.emulator
  const counters = () => readCounters(emulator.ready.url, emulator.ready.caCertPem)
  const tlsHandshakes = async () =>
    (await emulator.ask<EmulatorTlsStats>({ type: 'tls' })).handshakes
  const memoryTimeline: BenchReport['memoryTimeline'] = []
  const sampleMemory = (after: string) =>
    memoryTimeline.push({
      after,
      ours: servers.ours.pid === undefined ? undefined : memoryMiB(servers.ours.pid),
      sdk: servers.sdk.pid === undefined ? undefined : memoryMiB(servers.sdk.pid),
    })
  const [ours, sdk] = await settleBoth([stage.start.ours(), stage.start.sdk()])
  const servers: PerContestant<Server> = { ours, sdk }
  // Started after ours: each workerd's pid is found as the one new child since the last start.
  const reference = await stage.startReference()
  const bundle = await bundlePromise

  // Warm-up: the first Entra token, JIT, connection pools. What it cost upstream is reported too.
  const warmupUpstream: PerContestant<RouteCounters> = { ours: {}, sdk: {} }
  for (const name of ['ours', 'sdk'] as const) {
    log(`warming up ${name}`)
    const before = await counters()
    for (const concurrency of [1, 8]) {
      const result = await runLoad({
        url: `${servers[name].url}/negotiate?hub=${HUB}`,
        concurrency,
        durationMs: options.quick ? 300 : 1000,
        maxRequests: MAX_REQUESTS_PER_SEGMENT,
        signal,
      })
      if (result.firstError !== undefined)
        throw new Error(`${name} fails during warm-up: ${result.firstError}`)
    }
    warmupUpstream[name] = counterDelta(before, await counters())
  }
  sampleMemory('warm-up')

  async function measureSegment(
    server: Server,
    phase: Phase,
    round: number,
    position: number,
  ): Promise<{ segment: Segment; latenciesMs: number[] }> {
    const countersBefore = await counters()
    const handshakesBefore = await tlsHandshakes()
    const serverCpuBefore = server.pid === undefined ? undefined : cpuMs(server.pid)
    const emulatorCpuBefore = cpuMs(emulator.pid)
    const result = await runLoad({
      url: server.url + phase.path,
      concurrency: phase.concurrency,
      durationMs: options.durationMs * phase.durationShare,
      maxRequests: MAX_REQUESTS_PER_SEGMENT,
      signal,
    })
    const serverCpuAfter = server.pid === undefined ? undefined : cpuMs(server.pid)
    const emulatorCpuAfter = cpuMs(emulator.pid)
    const handshakesAfter = await tlsHandshakes()
    const upstream = counterDelta(countersBefore, await counters())
    const segment: Segment = {
      round,
      position,
      requests: result.requests,
      errors: result.errors,
      firstError: result.firstError,
      elapsedMs: result.elapsedMs,
      requestsPerSecond: ((result.requests - result.errors) * 1000) / result.elapsedMs,
      latency: summarize(result.latenciesMs),
      upstream,
      upstreamTlsHandshakes: handshakesAfter - handshakesBefore,
      serverCpuMs: difference(serverCpuBefore, serverCpuAfter),
      emulatorCpuMs: difference(emulatorCpuBefore, emulatorCpuAfter),
      entraSources: result.entraSources,
    }
    return { segment, latenciesMs: result.latenciesMs }
  }

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
        if (signal.aborted) return
        log(`${phase.name} c=${phase.concurrency}, round ${round + 1}/${options.rounds}: ${name}`)
        const server = name === 'reference' ? reference : servers[name]
        const measured = await measureSegment(server, phase, round, position)
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
    phases.push(summarizePhase(phase, segments, samples))
    sampleMemory(`${phase.name}, concurrency ${phase.concurrency}`)
    if (phase.reference) {
      const cpu = referenceSegments.map((s) => s.serverCpuMs)
      const requests = referenceSegments.reduce((sum, s) => sum + s.requests, 0)
      floorReference = {
        latency: summarize(referenceSamples),
        requestsPerSecond: median(referenceSegments.map((s) => s.requestsPerSecond)),
        serverCpuMsPerRequest: cpu.some((ms) => ms === undefined)
          ? undefined
          : (cpu as number[]).reduce((a, b) => a + b, 0) / Math.max(1, requests),
        segments: referenceSegments,
      }
    }
  }
  await reference.stop()

  const cold: ColdResult = {
    repetitions: options.cold,
    firstMs: { ours: [], sdk: [] },
    secondMs: { ours: [], sdk: [] },
    upstream: { ours: {}, sdk: {} },
  }
  for (let repetition = 0; repetition < options.cold; repetition += 1) {
    const order: ContestantName[] = repetition % 2 === 0 ? ['ours', 'sdk'] : ['sdk', 'ours']
    for (const name of order) {
      if (signal.aborted) return
      log(`cold start ${repetition + 1}/${options.cold}: ${name}`)
      // A fresh process each time: a new isolate with an empty KV, or a new Node with empty caches.
      const fresh = await stage.start[name]()
      try {
        const before = await counters()
        cold.firstMs[name].push(await timeOne(`${fresh.url}/negotiate?hub=${HUB}`))
        const after = await counters()
        cold.secondMs[name].push(await timeOne(`${fresh.url}/negotiate?hub=${HUB}`))
        for (const [route, value] of Object.entries(counterDelta(before, after)))
          cold.upstream[name][route] = (cold.upstream[name][route] ?? 0) + value
      } finally {
        // Stopped now, not at the end, so cold starts do not pile up processes.
        await fresh.stop()
      }
    }
  }

  const report: BenchReport = {
    date: startedAt.toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cpuCount: cpus().length,
      totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
      platform: `${process.platform} ${release()}`,
      node: process.version,
    },
    versions: {
      miniflare: await packageVersion('miniflare'),
      workerd: await packageVersion('workerd'),
      '@azure/web-pubsub': await packageVersion('@azure/web-pubsub'),
      '@azure/identity': await packageVersion('@azure/identity'),
    },
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

function difference(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before
}

const resources = new Resources()
let interrupted = false
// `on`, not `once`: Miniflare's exit hook re-raises the signal (killing us before cleanup) when it
// finds itself the only listener left, which a spent `once` listener would leave it.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (interrupted) return
    interrupted = true
    console.error(`\n${signal}: stopping every server the bench started`)
    // The run then ends on its own (every loop watches the abort signal) and exits in `finally`;
    // this is the backstop should a start still be waiting on a child.
    void resources.closeAll()
    setTimeout(() => process.exit(130), 15_000).unref()
  })
try {
  await main(resources)
} catch (error) {
  // After a signal, failures of requests to servers being stopped are expected noise.
  if (!interrupted) console.error(error)
  process.exitCode = 1
} finally {
  await resources.closeAll()
  // Idle keep-alive sockets in fetch's pool would hold the process open for seconds more.
  process.exit(interrupted ? 130 : undefined)
}
