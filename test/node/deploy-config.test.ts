// wrangler.toml as committed deploys a negotiator that fails closed, without the demo, from a fresh clone.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { unstable_readConfig } from 'wrangler'
import { checkConfig } from '../../scripts/check-config'
import { parseConfig } from '../../src/config'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const run = promisify(execFile)

/** The environment `npm start` and `npm run dev` select. */
const DEV_ENV = 'dev'

function readConfig(configPath: string, env?: string) {
  return unstable_readConfig({ config: configPath, env }, { hideWarnings: true })
}

/** Everything wrong with a Wrangler configuration for this project; empty when it is right. */
function deployProblems(configPath: string): string[] {
  const problems: string[] = []
  const production = readConfig(configPath)
  const authMode = production.vars.AUTH_MODE
  if (authMode !== undefined) {
    problems.push(`top-level [vars] sets AUTH_MODE = ${JSON.stringify(authMode)}`)
  }
  const parsed = parseConfig(production.vars)
  if (parsed.ok || !parsed.problems.some((p) => p.variable === 'AUTH_MODE')) {
    problems.push('production as committed does not refuse with AUTH_MODE missing')
  }
  if (production.assets !== undefined) problems.push('top-level [assets] uploads the demo')

  if (!production.definedEnvironments?.includes(DEV_ENV)) {
    problems.push(`no [env.${DEV_ENV}]`)
    return problems
  }
  const dev = readConfig(configPath, DEV_ENV)
  // The production entry has no demo routes; the development entry adds them.
  if (relative(dirname(configPath), production.main ?? '') !== join('src', 'index.ts')) {
    problems.push('the top level does not run src/index.ts')
  }
  if (relative(dirname(configPath), dev.main ?? '') !== join('src', 'dev.ts')) {
    problems.push('env.dev does not run src/dev.ts (the entry with the demo page)')
  }
  const { directory, binding, run_worker_first } = dev.assets ?? {}
  if (directory !== './public' || binding !== 'ASSETS' || run_worker_first !== true) {
    problems.push('env.dev assets are not ./public as ASSETS with run_worker_first = true')
  }
  if (dev.vars.DEMO_PAGE !== 'on') problems.push('env.dev does not set DEMO_PAGE = "on"')
  if (dev.vars.AUTH_MODE !== undefined) {
    problems.push(`env.dev sets AUTH_MODE = ${JSON.stringify(dev.vars.AUTH_MODE)}`)
  }
  // vars and bindings are not inherited; wrangler warns about every top-level var left out.
  for (const name of Object.keys(production.vars)) {
    if (!(name in dev.vars)) problems.push(`env.dev.vars lacks ${name}`)
  }
  for (const { binding: name } of production.kv_namespaces) {
    if (!dev.kv_namespaces.some((kv: { binding: string }) => kv.binding === name)) {
      problems.push(`env.dev lacks the KV binding ${name}`)
    }
  }
  if (JSON.stringify(dev.ratelimits) !== JSON.stringify(production.ratelimits)) {
    problems.push('env.dev ratelimits differ from production')
  }
  return problems
}

const temporary: string[] = []
afterAll(() => Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true }))))

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'deploy-config-'))
  temporary.push(dir)
  return dir
}

/** A folder with `wrangler.toml` as given (and optional other files), and no .dev.vars. */
async function withConfig(toml: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir()
  await writeFile(join(dir, 'wrangler.toml'), toml)
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return join(dir, 'wrangler.toml')
}

/** The shape this file had before: anonymous by default, demo assets at the top level. */
const OLD_CONFIG = `
name = "webpubsub-edge-negotiator"
main = "src/index.ts"
compatibility_date = "2026-04-20"
[vars]
AUTH_MODE = "anonymous"
WEBPUBSUB_HUBS = "chat"
[assets]
directory = "./public"
binding = "ASSETS"
run_worker_first = true
[[kv_namespaces]]
binding = "TOKEN_CACHE"
id = "00000000000000000000000000000000"
[[ratelimits]]
name = "RATE_LIMITER"
namespace_id = "1001"
simple = { limit = 30, period = 60 }
`

/** A dev environment that would run anonymous, without the demo, and warn on every start. */
const BROKEN_DEV_CONFIG = `
name = "webpubsub-edge-negotiator"
main = "src/index.ts"
compatibility_date = "2026-04-20"
[vars]
WEBPUBSUB_HUBS = "chat"
[[kv_namespaces]]
binding = "TOKEN_CACHE"
id = "00000000000000000000000000000000"
[[ratelimits]]
name = "RATE_LIMITER"
namespace_id = "1001"
simple = { limit = 30, period = 60 }
[env.dev.vars]
AUTH_MODE = "anonymous"
[env.dev.assets]
directory = "./dist"
binding = "ASSETS"
`

const wranglerCli = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

/**
 * `wrangler deploy --dry-run` in a folder shaped like a fresh clone (no public/, nothing built),
 * offline: no banner update check, no telemetry, no account.
 */
async function dryRunDeploy(toml: string): Promise<{ ok: boolean; output: string }> {
  const dir = await tempDir()
  await writeFile(join(dir, 'wrangler.toml'), toml)
  await symlink(join(ROOT, 'src'), join(dir, 'src'))
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [wranglerCli, 'deploy', '--dry-run', '--env=', '--outdir', join(dir, 'out')],
      {
        cwd: dir,
        timeout: 60_000,
        env: {
          ...process.env,
          WRANGLER_HIDE_BANNER: 'true',
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          NO_COLOR: '1',
        },
      },
    )
    return { ok: true, output: stdout + stderr }
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string }
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }
  }
}

describe('deploy config (wrangler.toml)', () => {
  it('has nothing wrong with it', () => {
    expect(deployProblems(join(ROOT, 'wrangler.toml'))).toEqual([])
  })

  it('catches the anonymous default and the demo in production (the checker itself works)', async () => {
    expect(deployProblems(await withConfig(OLD_CONFIG))).toEqual([
      'top-level [vars] sets AUTH_MODE = "anonymous"',
      'production as committed does not refuse with AUTH_MODE missing',
      'top-level [assets] uploads the demo',
      'no [env.dev]',
    ])
  })

  it('catches a dev environment that lacks what npm start needs (the checker itself works)', async () => {
    expect(deployProblems(await withConfig(BROKEN_DEV_CONFIG))).toEqual([
      'env.dev does not run src/dev.ts (the entry with the demo page)',
      'env.dev assets are not ./public as ASSETS with run_worker_first = true',
      'env.dev does not set DEMO_PAGE = "on"',
      'env.dev sets AUTH_MODE = "anonymous"',
      'env.dev.vars lacks WEBPUBSUB_HUBS',
      'env.dev lacks the KV binding TOKEN_CACHE',
      'env.dev ratelimits differ from production',
    ])
  })

  it('is selected by npm start and npm run dev, and not by npm run deploy', async () => {
    const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(scripts.dev).toMatch(new RegExp(`\\bwrangler dev --env ${DEV_ENV}\\b`))
    expect(scripts.predev).toContain(`scripts/check-config.ts --env ${DEV_ENV}`)
    expect(scripts.deploy).not.toMatch(/--env[ =]["']?[a-z]/)
    expect(scripts.predeploy ?? '').not.toContain('build:demo')
    const start = await readFile(join(ROOT, 'scripts', 'start.mjs'), 'utf8')
    expect(start).toContain(`const wranglerEnv = '${DEV_ENV}'`)
    expect(start).toMatch(/'dev',\s*'--env',\s*wranglerEnv,/)
  })
})

describe('scripts/check-config', () => {
  it('reports AUTH_MODE and the Azure settings when the dev environment has no .dev.vars', async () => {
    const toml = await readFile(join(ROOT, 'wrangler.toml'), 'utf8')
    const result = checkConfig({ configPath: await withConfig(toml), env: DEV_ENV })
    expect(result.noLocalFile).toBe(true)
    expect(result.problems.map((p) => p.variable)).toEqual(
      expect.arrayContaining(['AUTH_MODE', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID']),
    )
  })

  it('accepts the dev environment with the kind of env file npm start generates', async () => {
    const toml = await readFile(join(ROOT, 'wrangler.toml'), 'utf8')
    const configPath = await withConfig(toml, {
      'emulator.env': [
        "AUTH_MODE='jwt'",
        "AUTH_ISSUER='http://127.0.0.1:8788/oidc'",
        "AUTH_AUDIENCE='webpubsub-negotiator'",
        "AZURE_TENANT_ID='e0000000-0000-4000-8000-000000000001'",
        "AZURE_CLIENT_ID='e0000000-0000-4000-8000-0000000000a1'",
        "AZURE_CLIENT_SECRET='emulator-secret'",
        "AZURE_AUTHORITY_HOST='http://127.0.0.1:8788'",
        "WEBPUBSUB_ENDPOINT='http://127.0.0.1:8788'",
        "WEBPUBSUB_HUBS='chat,lobby'",
      ].join('\n'),
    })
    const result = checkConfig({ configPath, env: DEV_ENV, envFiles: ['emulator.env'] })
    expect(result.problems).toEqual([])
    expect(result).toMatchObject({ authMode: 'jwt', hubs: ['chat', 'lobby'] })
  })
})

describe('wrangler deploy --dry-run from a fresh clone', () => {
  it(
    'bundles without public/ and binds no assets and no AUTH_MODE',
    { timeout: 90_000 },
    async () => {
      const { ok, output } = await dryRunDeploy(await readFile(join(ROOT, 'wrangler.toml'), 'utf8'))
      expect(ok, output).toBe(true)
      expect(output).toContain('env.TOKEN_CACHE')
      expect(output).not.toContain('env.ASSETS')
      expect(output).not.toContain('AUTH_MODE')
    },
  )

  it('fails with the old configuration (the check itself works)', { timeout: 90_000 }, async () => {
    const { ok, output } = await dryRunDeploy(OLD_CONFIG)
    expect(ok).toBe(false)
    expect(output).toMatch(/assets\.directory.*does not exist/)
  })
})
