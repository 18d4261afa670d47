// The Worker's deployable size: `wrangler deploy --dry-run` output, and an esbuild build as wrangler's with bytes by input.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const run = promisify(execFile)

export interface BundleSize {
  /** The command that produced the file, for the report. */
  command: string
  file: string
  bytes: number
  /** gzip -9, as a rough stand-in for the compressed size Cloudflare counts against the limit. */
  gzipBytes: number
  /** wrangler's own "Total Upload: … / gzip: …" line, when it printed one. */
  wranglerSays?: string
}

/**
 * Bundles with wrangler.toml's own settings (its `minify` included), as `npm run deploy` uploads,
 * into `outdir` (an empty folder the caller owns and removes).
 */
export async function measureBundle(
  root: string,
  outdir: string,
  signal: AbortSignal,
): Promise<BundleSize> {
  const args = ['wrangler', 'deploy', '--dry-run', '--outdir', outdir]
  try {
    // wrangler's own script rather than npx: one process, which the abort signal really stops.
    const cli = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
    const { stdout } = await run(process.execPath, [cli, ...args.slice(1)], {
      cwd: root,
      timeout: 60_000,
      signal,
      // At once: on SIGINT the process may exit right after, and a wrangler still writing would
      // recreate the folder after it was removed.
      killSignal: 'SIGKILL',
      // No banner (it checks the npm registry for updates), no telemetry: stay off the network.
      env: {
        ...process.env,
        WRANGLER_HIDE_BANNER: 'true',
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
      },
    })
    const files = await readdir(outdir)
    const main = files.find((name) => /\.(m?js)$/.test(name))
    if (main === undefined) throw new Error(`no JavaScript in ${outdir}: ${files.join(', ')}`)
    const code = await readFile(join(outdir, main))
    return {
      command: `${args.join(' ').replace(outdir, '<tmp>')}`,
      file: main,
      bytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      wranglerSays: /Total Upload:[^\n]*/.exec(stdout)?.[0].trim(),
    }
  } finally {
    await rm(outdir, { recursive: true, force: true })
  }
}

export const bundleFolder = () => mkdtemp(join(tmpdir(), 'negotiator-bundle-'))

/** One input file of the minified bundle and the bytes it left in the output (before gzip). */
export interface BundleInput {
  input: string
  bytes: number
}

export interface WorkerBundle {
  /** The bundled module itself. */
  code: Uint8Array
  bytes: number
  gzipBytes: number
  /** Every input that left bytes in the output, largest first. */
  inputs: BundleInput[]
}

/** A boolean setting of wrangler.toml's top level (before its first table), or undefined. */
async function topLevelSetting(root: string, name: string): Promise<boolean | undefined> {
  const toml = await readFile(join(root, 'wrangler.toml'), 'utf8')
  const topLevel = toml.split(/^\[/m)[0] ?? ''
  const value = new RegExp(`^${name}\\s*=\\s*(true|false)\\b`, 'm').exec(topLevel)?.[1]
  return value === undefined ? undefined : value === 'true'
}

/**
 * Bundles src/index.ts in memory with the esbuild options `wrangler deploy` uses for this project
 * (wrangler's bundleWorker: ESM, target es2024, conditions workerd/worker/browser, NODE_ENV
 * production, and wrangler.toml's `minify` and `keep_names`, wrangler's defaults false and
 * true), keeping esbuild's metafile to show what weighs. Its size matches the dry run's to within
 * wrangler's own wrapper code. `entry` (default src/index.ts) lets the bench bundle its reference
 * Workers the same way.
 */
export async function bundleWorkerInMemory(
  root: string,
  entry = join(root, 'src', 'index.ts'),
): Promise<WorkerBundle> {
  const production = JSON.stringify('production')
  const [minify, keepNames] = await Promise.all([
    topLevelSetting(root, 'minify'),
    topLevelSetting(root, 'keep_names'),
  ])
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    write: false,
    outfile: join(root, 'dist', 'index.js'),
    format: 'esm',
    target: 'es2024',
    conditions: ['workerd', 'worker', 'browser'],
    keepNames: keepNames ?? true,
    minify: minify ?? false,
    metafile: true,
    external: ['cloudflare:*'],
    define: {
      'process.env.NODE_ENV': production,
      'global.process.env.NODE_ENV': production,
      'globalThis.process.env.NODE_ENV': production,
    },
    logLevel: 'warning',
  })
  const code = result.outputFiles[0]?.contents
  const output = Object.values(result.metafile.outputs)[0]
  if (code === undefined || output === undefined) throw new Error('esbuild wrote no bundle')
  const inputs = Object.entries(output.inputs)
    .map(([input, { bytesInOutput }]) => ({ input, bytes: bytesInOutput }))
    .filter((entry) => entry.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
  return { code, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, inputs }
}

/** `hono`, `jose`, `src/caller`, …: an input's package, or its folder under the repository. */
export function inputGroup(input: string, root = ''): string {
  const path = relative(root, input).replace(/\\/g, '/')
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (inPackage?.[1] !== undefined) return inPackage[1]
  const parts = path.split('/')
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path)
}

/** Bytes in the output per package or source folder, largest first. */
export function bytesByGroup(inputs: BundleInput[]): BundleInput[] {
  const groups = new Map<string, number>()
  for (const { input, bytes } of inputs)
    groups.set(inputGroup(input), (groups.get(inputGroup(input)) ?? 0) + bytes)
  return [...groups].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes)
}
