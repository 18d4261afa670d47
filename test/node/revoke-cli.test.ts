// `npm run revoke`: its argument parser (property-tested), and the command against a running negotiator.
import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { MAX_SECONDS, parseDuration, parseRevokeArgs, UsageError } from '../../scripts/revoke/args'
import { runRevoke, type RevokeIo } from '../../scripts/revoke/main'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import { jwtModeVars } from '../support/emulator-vars'
import type { RunningNegotiator } from '../support/negotiator-process'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ADMIN_TOKEN = 'revoke-cli-test-admin-token-0123456789abcdef'

describe('scripts/revoke/args: --for (property)', () => {
  const units = { s: 1, m: 60, h: 3600, d: 86_400 } as const

  it('reads n, ns, nm, nh and nd as whole seconds from 1 s to 30 days, and refuses the rest', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 3_000_000 }),
        fc.constantFrom('', 's', 'm', 'h', 'd'),
        (n, unit) => {
          const seconds = n * units[(unit || 's') as keyof typeof units]
          const text = `${n}${unit}`
          if (seconds >= 1 && seconds <= MAX_SECONDS) expect(parseDuration(text)).toBe(seconds)
          else expect(() => parseDuration(text)).toThrow(UsageError)
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('never returns anything but a whole number of seconds within the limits (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        let seconds: number
        try {
          seconds = parseDuration(text)
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError)
          return
        }
        expect(Number.isInteger(seconds)).toBe(true)
        expect(seconds).toBeGreaterThanOrEqual(1)
        expect(seconds).toBeLessThanOrEqual(MAX_SECONDS)
        expect(text).toMatch(/^\d+[smhd]?$/)
      }),
      { numRuns: 2_000 },
    )
    for (const text of ['24h', '30m', '7d', '90s', '3600'])
      expect(parseDuration(text)).toBeGreaterThan(0)
    for (const text of ['', '1.5h', '-1h', '+5m', '1 h', '1w', '31d', '0', 'h', '1hm', '١٢']) {
      expect(() => parseDuration(text), text).toThrow(UsageError)
    }
  })
})

describe('scripts/revoke/args: the command line', () => {
  const env = { NEGOTIATOR_URL: 'https://negotiator.example.com/' }

  it('builds the three commands, the origin from --url or NEGOTIATOR_URL', () => {
    expect(parseRevokeArgs(['--user', 'alice', '--hub', 'chat', '--for', '7d'], env)).toEqual({
      command: { action: 'revoke', userId: 'alice', hub: 'chat', forSeconds: 604_800, sweep: true },
      origin: 'https://negotiator.example.com',
      json: false,
    })
    expect(
      parseRevokeArgs(['--user', 'alice', '--no-sweep', '--url', 'http://127.0.0.1:8787'], {}),
    ).toMatchObject({
      command: { action: 'revoke', userId: 'alice', sweep: false },
      origin: 'http://127.0.0.1:8787',
    })
    expect(parseRevokeArgs(['--user', 'alice', '--lift', '--json'], env)).toMatchObject({
      command: { action: 'lift', userId: 'alice' },
      json: true,
    })
    expect(parseRevokeArgs(['--list'], env)).toMatchObject({ command: { action: 'list' } })
    expect(parseRevokeArgs(['--help'], {})).toBe('help')
  })

  it('refuses a credential as a flag, plain http to another machine, and contradictions', () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--user', 'a', '--token', ADMIN_TOKEN], env, /ADMIN_TOKEN environment variable only/],
      [['--user', 'a', `--token=${ADMIN_TOKEN}`], env, /environment variable only/],
      [['--user', 'a'], {}, /--url <origin> or NEGOTIATOR_URL/],
      [['--user', 'a', '--url', 'http://negotiator.example.com'], {}, /https/],
      [['--user', 'a', '--url', 'https://u:p@negotiator.example.com'], {}, /credentials/],
      [['--user', 'a', '--url', 'not a url'], {}, /not a URL/],
      [['--list', '--user', 'a'], env, /--list takes no/],
      [['--user', 'a', '--lift', '--for', '1h'], env, /--lift takes no --for/],
      [['--hub', 'chat'], env, /--user <id> is required/],
      [['--user', 'a', '--forever'], env, /Unknown option/],
      [['alice'], env, /positional/],
    ]
    for (const [argv, environment, message] of cases) {
      expect(() => parseRevokeArgs(argv, environment), argv.join(' ')).toThrow(message)
    }
  })
})

describe('npm run revoke against a running negotiator', () => {
  let stack: E2eStack | undefined
  let emulator: RunningEmulator
  let negotiator: RunningNegotiator

  beforeAll(async () => {
    stack = await startE2eStack({
      vars: (started) => ({
        ...jwtModeVars(started, 'negotiator'),
        WEBPUBSUB_HUBS: 'chat,lobby',
        ADMIN_TOKEN,
      }),
    })
    ;({ emulator, negotiator } = stack)
  })
  afterAll(() => stack?.close())

  /** Runs the command in-process; sleeps are recorded, not waited. */
  async function revoke(argv: string[], env: Record<string, string> = {}) {
    const out: string[] = []
    const err: string[] = []
    const sleeps: number[] = []
    const io: RevokeIo = {
      fetch: (input, init) => fetch(input, init),
      sleep: async (ms) => void sleeps.push(ms),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    }
    const code = await runRevoke(argv, { ADMIN_TOKEN, NEGOTIATOR_URL: negotiator.url, ...env }, io)
    return { code, out: out.join('\n'), err: err.join('\n'), sleeps }
  }

  it('revokes, sweeps again after 60 s, lists and lifts, saying what it did', async () => {
    const revoked = await revoke(['--user', 'alice', '--for', '2h'])
    expect(revoked).toMatchObject({ code: 0, err: '', sleeps: [60_000] })
    expect(revoked.out).toMatch(
      /^Revoked alice on every hub until \S+: negotiations are refused everywhere within 60 s\./,
    )
    expect(revoked.out).toContain(`  ${emulator.url} chat: closed`)
    expect(revoked.out).toContain(`  ${emulator.url} lobby: closed`)
    expect(revoked.out).toContain('Second sweep:')
    const listed = await revoke(['--list'])
    expect(listed.code).toBe(0)
    expect(listed.out).toMatch(/^alice {2}every hub {2}since \S+ {2}until \S+$/m)
    await new Promise((done) => setTimeout(done, 1_000)) // KV: one write per second per key
    const lifted = await revoke(['--user', 'alice', '--lift'])
    expect(lifted).toMatchObject({ code: 0 })
    expect(lifted.out).toContain('Lifted alice on every hub')
    const json = await revoke(['--list', '--json'])
    expect(JSON.parse(json.out)).toMatchObject({ revocations: [], ended: [{ userId: 'alice' }] })
    // Nothing printed ever holds the credential.
    for (const run of [revoked, listed, lifted, json]) {
      expect(run.out + run.err).not.toContain(ADMIN_TOKEN)
    }
  })

  it('exits 3 when the revocation stands but connections could not be closed, with the role advice', async () => {
    const fault = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        route: 'webpubsub.closeConnections',
        kind: 'status',
        status: 403,
        times: 1,
      }),
    })
    expect(fault.ok).toBe(true)
    const run = await revoke(['--user', 'mallory', '--hub', 'chat', '--no-sweep', '--json'])
    expect(run.code).toBe(3)
    expect(run.sleeps).toEqual([])
    expect(JSON.parse(run.out)).toMatchObject({
      revocation: { userId: 'mallory', hub: 'chat' },
      connections: [
        { outcome: 'forbidden', detail: expect.stringContaining('Web PubSub Service Owner') },
      ],
    })
  })

  it('exits 1 with the problem when the negotiator refuses, and 2 without ADMIN_TOKEN', async () => {
    const wrong = await revoke(['--list'], { ADMIN_TOKEN: `${ADMIN_TOKEN}-wrong` })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toMatch(/answered 401 admin_unauthenticated: The admin credential is wrong\./)
    expect(wrong.err).not.toContain(ADMIN_TOKEN)
    const badHub = await revoke(['--user', 'alice', '--hub', 'nope', '--no-sweep'])
    expect(badHub.code).toBe(1)
    expect(badHub.err).toContain('hub_not_allowed')
    const missing = await revoke(['--list'], { ADMIN_TOKEN: '' })
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('set ADMIN_TOKEN')
    const unreachable = await revoke(['--list'], { NEGOTIATOR_URL: 'http://127.0.0.1:9' })
    expect(unreachable.code).toBe(1)
    expect(unreachable.err).toContain('could not be reached')
  })

  it('runs as `npm run revoke`, the credential from the environment only', async () => {
    const env: Record<string, string | undefined> = { ...process.env }
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        'npm',
        ['run', '-s', 'revoke', '--', '--list'],
        {
          cwd: ROOT,
          env: { ...env, ADMIN_TOKEN, NEGOTIATOR_URL: negotiator.url },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
          done({ code, stdout, stderr })
        },
      )
    })
    expect(result, result.stderr).toMatchObject({ code: 0 })
    expect(result.stdout).toMatch(/No active revocations\.|every hub|hub chat/)
  })
})
