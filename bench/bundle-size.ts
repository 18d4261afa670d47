// The Worker's deployable size: `wrangler deploy --dry-run` output, raw and gzip (PLATFORM.md: measure there).
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'

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
