// `npm run doctor` as operators run it: a real process, its exit code, --env-file and the environment.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import { CONFIG_VARIABLES } from '../../src/config'
import type { DoctorReport } from '../../scripts/doctor/report'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

let emulator: RunningEmulator
let dir: string

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true })
  dir = await mkdtemp(join(tmpdir(), 'doctor-cli-'))
})

afterAll(async () => {
  await emulator.close()
  await rm(dir, { recursive: true, force: true })
})

/** `npm run -s doctor -- …` in the repository, with the given negotiator variables in its environment. */
function npmRunDoctor(
  args: string[],
  vars: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env }
  // The test runner's own environment must not leak a negotiator variable into the run.
  for (const name of Object.keys(env)) {
    if ((CONFIG_VARIABLES as readonly string[]).includes(name) || name.startsWith('WEBPUBSUB_')) {
      delete env[name]
    }
  }
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '-s', 'doctor', '--', ...args],
      { cwd: ROOT, env: { ...env, ...vars }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        done({ code, stdout, stderr })
      },
    )
  })
}

async function varsFile(name: string, app: 'ownerSecret' | 'reader'): Promise<string> {
  const demo = emulator.demo
  const lines = [
    'AUTH_MODE="anonymous"',
    `AZURE_TENANT_ID="${demo.tenantId}"`,
    `AZURE_CLIENT_ID="${demo.apps[app].clientId}"`,
    // Wrong on purpose: the environment's value must win over the file's.
    'AZURE_CLIENT_SECRET="emu8Q~overridden-by-the-environment-00000"',
    `AZURE_AUTHORITY_HOST="${demo.authorityHost}"`,
    `WEBPUBSUB_ENDPOINT="${demo.endpoint}"`,
  ]
  const path = join(dir, name)
  await writeFile(path, `${lines.join('\n')}\n`)
  return path
}

describe('npm run doctor (a real process)', () => {
  it('exits 0 for an Owner app: the environment over --env-file over wrangler.toml [vars]', async () => {
    const file = await varsFile('owner.vars', 'ownerSecret')
    const run = await npmRunDoctor(['--env-file', file, '--json'], {
      AZURE_CLIENT_SECRET: emulator.demo.apps.ownerSecret.clientSecret ?? '',
    })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const report = JSON.parse(run.stdout) as DoctorReport
    expect(report).toMatchObject({ ok: true, exitCode: 0, clientTokenIssued: true })
    expect(report.sources).toEqual([
      'the environment (AZURE_CLIENT_SECRET)',
      file,
      'wrangler.toml [vars]',
    ])
    // WEBPUBSUB_HUBS comes from the committed wrangler.toml; its placeholder KV id is a warning.
    expect(report.steps.find((s) => s.id === 'cache')?.status).toBe('warn')
    expect(run.stdout).not.toContain(emulator.demo.apps.ownerSecret.clientSecret ?? '')
  }, 60_000)

  it('exits 1 for a Reader app, printing the role to assign', async () => {
    const file = await varsFile('reader.vars', 'reader')
    const run = await npmRunDoctor(['--env-file', file], {
      AZURE_CLIENT_SECRET: emulator.demo.apps.reader.clientSecret ?? '',
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('✗ Auth API: 403')
    expect(run.stdout).toContain('--role "Web PubSub Service Owner"')
  }, 60_000)

  it('exits 2 for a usage error', async () => {
    const run = await npmRunDoctor(['--no-such-flag'], {})
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('Usage: npm run doctor')
  }, 60_000)
})
