// Runs the real negotiator (src/index.ts, bundled by esbuild) in workerd through Miniflare, for Node-side e2e tests and the benchmark.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare, type Json } from 'miniflare'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Worker variables: strings, or JSON values for table-valued ones such as POLICY. */
export type NegotiatorVars = Record<string, Json>

export interface NegotiatorOptions {
  /**
   * Variables and secrets, as wrangler.toml `[vars]` and `wrangler secret put` would give them.
   * An object (e.g. POLICY) becomes a JSON binding, as a TOML table does.
   */
  vars: NegotiatorVars
  /** Serve this folder through the ASSETS binding, the Worker first (wrangler.toml `[assets]`). */
  assetsDirectory?: string
  /**
   * PEM certificates workerd trusts for outbound TLS besides the public roots, e.g. a local TLS
   * emulator's. Miniflare reads NODE_EXTRA_CA_CERTS only when it is first imported, so the
   * certificates are given to the outbound network service explicitly instead.
   */
  trustedCertificates?: string[]
  /** Bind an in-memory KV namespace as TOKEN_CACHE; default true. */
  kv?: boolean
  /** Receives workerd's stdout and stderr (the negotiator's JSON log lines); default: dropped. */
  onLog?: (line: string) => void
  /**
   * Where the per-instance bundle folder is made; default `.wrangler/e2e`. Must lie inside the
   * repository (see startNegotiator). The benchmark passes a folder it removes even on SIGINT.
   */
  workDirectory?: string
  /**
   * A module whose default export takes the Worker's default export (src/index.ts) and returns the
   * Worker to run, e.g. one that hands it misbehaving bindings (bench/soak-worker.ts). The bundle's
   * entry is generated, so the wrapper never imports src/: the Node typecheck, which has no Workers
   * types, stays clear of src/. Never part of the deployed bundle, which wrangler builds from
   * src/index.ts.
   */
  wrapper?: string
  /** Open workerd's V8 inspector on a free port (RunningNegotiator.inspectorUrl), e.g. to read heap use. */
  inspector?: boolean
  /**
   * Bundle and run this Worker module instead of src/index.ts, with everything else the same (the
   * benchmark's hand-written reference Worker, bench/naive-worker.ts); a `wrapper` wraps it instead.
   */
  entry?: string
  /**
   * Keep TOKEN_CACHE in this folder instead of in memory: a negotiator started later with the same
   * folder is a new isolate that finds the KV entries an earlier one wrote (the benchmark's cold
   * start with a warm KV). Start them one after another, not at the same time.
   */
  kvPersist?: string
}

export interface RunningNegotiator {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string
  /** With `inspector`: the DevTools protocol base, e.g. ws://127.0.0.1:9229 (targets at /json). */
  inspectorUrl?: string
  dispose(): Promise<void>
}

/** The compatibility date from wrangler.toml, so tests run the date production runs. */
async function compatibilityDate(): Promise<string> {
  const toml = await readFile(join(ROOT, 'wrangler.toml'), 'utf8')
  const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1]
  if (date === undefined) throw new Error('wrangler.toml has no compatibility_date')
  return date
}

/** Bundles the Worker as wrangler would: ESM, workerd export conditions, nothing external. */
async function bundleWorker(
  outdir: string,
  wrapper: string | undefined,
  entry: string | undefined,
): Promise<string> {
  const outfile = join(outdir, 'worker.js')
  const worker = entry === undefined ? join(ROOT, 'src', 'index.ts') : resolve(entry)
  await build({
    ...(wrapper === undefined
      ? { entryPoints: [worker] }
      : {
          stdin: {
            contents: [
              `import worker from ${JSON.stringify(worker)}`,
              `import wrap from ${JSON.stringify(resolve(wrapper))}`,
              'export default wrap(worker)',
            ].join('\n'),
            resolveDir: ROOT,
            sourcefile: 'wrapped-worker.ts',
            loader: 'ts' as const,
          },
        }),
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    external: ['cloudflare:*'],
    logLevel: 'warning',
  })
  return outfile
}

function forwardLines(stream: NodeJS.ReadableStream, onLog: (line: string) => void): void {
  let buffered = ''
  stream.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') onLog(line)
  })
}

export async function startNegotiator(options: NegotiatorOptions): Promise<RunningNegotiator> {
  // Miniflare wants the script inside its modulesRoot (a path with `..` fails), so the bundle
  // goes under the repository; one folder per instance lets test files run in parallel.
  const base = options.workDirectory ?? join(ROOT, '.wrangler', 'e2e')
  await mkdir(base, { recursive: true })
  const outdir = await mkdtemp(join(base, 'worker-'))
  const onLog = options.onLog
  let mf: Miniflare | undefined
  try {
    const scriptPath = await bundleWorker(outdir, options.wrapper, options.entry)
    mf = new Miniflare({
      modules: true,
      modulesRoot: outdir,
      scriptPath: relative(process.cwd(), scriptPath),
      compatibilityDate: await compatibilityDate(),
      bindings: options.vars,
      kvNamespaces: options.kv === false ? [] : ['TOKEN_CACHE'],
      kvPersist: options.kvPersist,
      assets:
        options.assetsDirectory === undefined
          ? undefined
          : {
              directory: resolve(options.assetsDirectory),
              binding: 'ASSETS',
              // wrangler.toml's run_worker_first = true, as wrangler maps it.
              routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
            },
      outboundService:
        options.trustedCertificates === undefined
          ? undefined
          : {
              network: {
                allow: ['public', 'private'],
                tlsOptions: {
                  trustBrowserCas: true,
                  trustedCertificates: options.trustedCertificates,
                },
              },
            },
      host: '127.0.0.1',
      port: 0,
      inspectorPort: options.inspector === true ? 0 : undefined,
      handleRuntimeStdio(stdout, stderr) {
        if (onLog === undefined) {
          stdout.resume()
          stderr.resume()
          return
        }
        forwardLines(stdout, onLog)
        forwardLines(stderr, onLog)
      },
    })
    const url = (await mf.ready).origin
    const running = mf
    return {
      url,
      inspectorUrl: options.inspector === true ? (await mf.getInspectorURL()).href : undefined,
      async dispose() {
        await running.dispose()
        await rm(outdir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await mf?.dispose().catch(() => {})
    await rm(outdir, { recursive: true, force: true })
    throw error
  }
}
