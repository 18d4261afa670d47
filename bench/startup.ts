// What a Worker's bundle costs a new isolate before its first request: V8 compiling the module, then running its top level.
//
// A new isolate on the edge compiles the script and runs its top level (our app is built there)
// before it can answer; bytes are what the bundle budget counts, milliseconds are what a cold
// caller feels. workerd has no switch that reports this, so it is measured in Node's V8: each
// bundle, as wrangler builds it, is compiled as an ES module in a fresh process (nothing cached),
// then linked and evaluated. Node 20's V8 is older than workerd's and this machine is slow, so
// read the figures next to the naive Worker's, measured the same way in the same run.
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { bundleWorkerInMemory } from './bundle-size'
import { median } from './stats'

const run = promisify(execFile)

/** Runs in the child: the file is read before the clock starts; compile, then link and evaluate. */
const CHILD = `
import vm from 'node:vm'
import { readFileSync } from 'node:fs'
const code = readFileSync(process.argv[1], 'utf8')
const t0 = performance.now()
const module = new vm.SourceTextModule(code, { identifier: 'worker.mjs' })
const t1 = performance.now()
await module.link(() => { throw new Error('a Worker bundle imports nothing here') })
await module.evaluate()
const t2 = performance.now()
process.stdout.write(JSON.stringify({ compileMs: t1 - t0, evaluateMs: t2 - t1 }))
`

export interface StartupSeries {
  /** Minified bundle, as `wrangler deploy` builds it. */
  bytes: number
  gzipBytes: number
  compileMs: number[]
  evaluateMs: number[]
}

export interface StartupResult {
  node: string
  repetitions: number
  ours: StartupSeries
  naive: StartupSeries
}

async function measureOne(
  file: string,
  signal: AbortSignal,
): Promise<{ compileMs: number; evaluateMs: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--experimental-vm-modules', '--no-warnings', '--input-type=module', '-e', CHILD, file],
    { timeout: 30_000, signal },
  )
  return JSON.parse(stdout) as { compileMs: number; evaluateMs: number }
}

/**
 * Bundles ours (from `oursEntry`, the run's copy of src/index.ts) and the naive Worker, then
 * measures each `repetitions` times, alternating, so that drift hits both alike.
 */
export async function measureStartup(options: {
  root: string
  oursEntry: string
  workDirectory: string
  repetitions: number
  signal: AbortSignal
}): Promise<StartupResult> {
  const { root, workDirectory, repetitions, signal } = options
  const entries = {
    ours: options.oursEntry,
    naive: join(root, 'bench', 'naive-worker.ts'),
  }
  const result: StartupResult = {
    node: process.version,
    repetitions,
    ours: { bytes: 0, gzipBytes: 0, compileMs: [], evaluateMs: [] },
    naive: { bytes: 0, gzipBytes: 0, compileMs: [], evaluateMs: [] },
  }
  const files: Record<'ours' | 'naive', string> = { ours: '', naive: '' }
  for (const name of ['ours', 'naive'] as const) {
    const bundle = await bundleWorkerInMemory(root, entries[name])
    files[name] = join(workDirectory, `startup-${name}.mjs`)
    await writeFile(files[name], bundle.code)
    result[name].bytes = bundle.bytes
    result[name].gzipBytes = bundle.gzipBytes
  }
  for (let repetition = 0; repetition < repetitions && !signal.aborted; repetition += 1) {
    const order = repetition % 2 === 0 ? (['ours', 'naive'] as const) : (['naive', 'ours'] as const)
    for (const name of order) {
      const { compileMs, evaluateMs } = await measureOne(files[name], signal)
      result[name].compileMs.push(compileMs)
      result[name].evaluateMs.push(evaluateMs)
    }
  }
  return result
}

export function startupLines(startup: StartupResult | undefined): string[] {
  if (startup === undefined || startup.ours.compileMs.length === 0) return []
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
  const ms = (values: number[]) => `${median(values).toFixed(2)} ms`
  const series = (name: 'ours' | 'naive') => {
    const s = startup[name]
    return (
      `${name} ${kib(s.bytes)} (gzip ${kib(s.gzipBytes)}): compile ${ms(s.compileMs)} + ` +
      `top level ${ms(s.evaluateMs)}`
    )
  }
  return [
    `start-up before the first request (V8 of Node ${startup.node}, a fresh process each, ` +
      `median of ${startup.ours.compileMs.length}): ${series('ours')}; ${series('naive')}`,
  ]
}
