// npm run doctor against the emulator: each demo app's setup diagnosed, with the fix it needs.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import { createSelfSigned } from '../../emulator/lib/self-signed'
import { runDoctor } from '../../scripts/doctor/main'
import type { DoctorReport } from '../../scripts/doctor/report'

const ACCESS_KEY = 'DoctorAccessKey0123456789abcdefABCDEFghijk='
const OTHER_KEY = 'RotatedAccessKey0123456789abcdefABCDEFghij='

let emulator: RunningEmulator
let cwd: string

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true, accessKey: ACCESS_KEY })
  // An empty directory: no wrangler.toml and no .dev.vars, so only the given variables count.
  cwd = await mkdtemp(join(tmpdir(), 'doctor-'))
})

afterAll(async () => {
  await emulator.close()
  await rm(cwd, { recursive: true, force: true })
})

afterEach(() => emulator.state.reset())

type AppName = keyof RunningEmulator['demo']['apps']

/** The variables of a demo app, as an operator would set them for the emulator. */
function varsFor(app: AppName, overrides: Record<string, string> = {}): Record<string, string> {
  const demo = emulator.demo.apps[app]
  return {
    AUTH_MODE: 'anonymous',
    AZURE_TENANT_ID: emulator.demo.tenantId,
    AZURE_CLIENT_ID: demo.clientId,
    ...(demo.clientSecret === undefined
      ? { AZURE_CLIENT_CERTIFICATE: demo.certificatePem ?? '' }
      : { AZURE_CLIENT_SECRET: demo.clientSecret }),
    AZURE_AUTHORITY_HOST: emulator.url,
    WEBPUBSUB_ENDPOINT: emulator.url,
    WEBPUBSUB_HUBS: 'chat',
    ...overrides,
  }
}

interface Run {
  code: number
  out: string
  err: string
  /** Every token and assertion that crossed the wire during the run. */
  tokens: string[]
}

/** Runs the doctor in-process; fetch records every token and client assertion it carries. */
async function doctor(
  env: Record<string, string>,
  argv: string[] = [],
  options: { now?: () => number; fetch?: typeof fetch } = {},
): Promise<Run> {
  const tokens: string[] = []
  const base = options.fetch ?? fetch
  const recording: typeof fetch = async (input, init) => {
    const assertion =
      init?.body instanceof URLSearchParams ? init.body.get('client_assertion') : null
    if (assertion !== null) tokens.push(assertion)
    const response = await base(input, init)
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as Record<string, unknown>
    for (const field of ['access_token', 'token']) {
      if (typeof body[field] === 'string') tokens.push(body[field])
    }
    return response
  }
  let out = ''
  let err = ''
  const code = await runDoctor({
    argv,
    env,
    cwd,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    fetch: recording,
    now: options.now,
  })
  return { code, out, err, tokens }
}

const json = (run: Run): DoctorReport => JSON.parse(run.out) as DoctorReport
const stepOf = (report: DoctorReport, id: string) => report.steps.find((s) => s.id === id)

describe('npm run doctor against the emulator', () => {
  it('passes an Owner app with a secret: exit 0, the claims shown, a client token issued', async () => {
    const app = emulator.demo.apps.ownerSecret
    const run = await doctor(varsFor('ownerSecret'))
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toContain(
      `✓ Entra token: issued to AZURE_CLIENT_ID ${app.clientId} with its client secret`,
    )
    expect(run.out).toMatch(/^ {4}aud {4}https:\/\/webpubsub\.azure\.com$/m)
    expect(run.out).toContain(`tid    ${emulator.demo.tenantId}`)
    expect(run.out).toContain(`appid  ${app.clientId}`)
    expect(run.out).toMatch(/exp {4}\d{4}-\d\d-\d\dT.*\(in (59|60) min\)/)
    expect(run.out).toContain('✓ Token claims: tid matches AZURE_TENANT_ID')
    expect(run.out).toContain(
      '✓ Auth API: issued a client token for webpubsub-negotiator-doctor on hub chat',
    )
    expect(run.out).toContain('minutesToExpire=1')
    expect(run.out).toContain('Result: a client token could be issued (exit 0).')
    expect(emulator.state.counters['webpubsub.generateToken']).toBe(1)
  })

  it('passes an Owner app with a certificate, showing its thumbprint', async () => {
    const run = await doctor(varsFor('ownerCertificate'))
    expect(run.code).toBe(0)
    expect(run.out).toContain('with its certificate')
    expect(run.out).toMatch(/thumbprint [0-9A-F]{40}/)
    expect(run.out).toContain('✓ Auth API')
  })

  it.each(['reader', 'noRole'] as const)(
    'fails the %s app at the Auth API with the az command for Web PubSub Service Owner',
    async (name) => {
      const clientId = emulator.demo.apps[name].clientId
      const run = await doctor(varsFor(name))
      expect(run.code).toBe(1)
      expect(run.out).toContain('✓ Entra token')
      expect(run.out).toContain(
        `✗ Auth API: 403: AZURE_CLIENT_ID ${clientId} may not issue client tokens`,
      )
      expect(run.out).toContain(
        `az role assignment create --assignee ${clientId} --role "Web PubSub Service Owner" ` +
          '--scope "$(az webpubsub show --name <name> --resource-group <resource-group> --query id -o tsv)"',
      )
      expect(run.out).toContain(`deploy/assign-role.sh <resource-group> <name> ${clientId}`)
      expect(run.out).toContain('"Web PubSub Negotiator"')
      expect(run.out).toContain('can take up to 30 minutes to apply')
      // The service's own words: which data action was missing.
      expect(run.out).toContain('clientConnection/generateToken/action')
      expect(run.out).toContain('Result: no client token could be issued')
    },
  )

  it('explains an expired secret (AADSTS7000222) with the command that makes a new one', async () => {
    const clientId = emulator.demo.apps.expiredSecret.clientId
    const run = await doctor(varsFor('expiredSecret'))
    expect(run.code).toBe(1)
    expect(run.out).toContain(
      `✗ Entra token: The client secret of AZURE_CLIENT_ID ${clientId} has expired (AADSTS7000222)`,
    )
    expect(run.out).toContain(`az ad app credential reset --id ${clientId} --append`)
    expect(run.out).toContain('npx wrangler secret put AZURE_CLIENT_SECRET')
    expect(run.out).toContain('- Auth API: needs an Entra token')
    expect(
      stepOf(json(await doctor(varsFor('expiredSecret'), ['--json'])), 'entra-token')?.data,
    ).toMatchObject({
      aadsts: 7000222,
      status: 401,
      error: 'invalid_client',
    })
  })

  it('explains a wrong secret (AADSTS7000215): the Value column, not the Secret ID', async () => {
    const run = await doctor(
      varsFor('ownerSecret', { AZURE_CLIENT_SECRET: 'emu8Q~not-the-right-secret-0000000000000' }),
    )
    expect(run.code).toBe(1)
    expect(run.out).toContain(
      '✗ Entra token: Entra rejected the client secret (AADSTS7000215, invalid client secret)',
    )
    expect(run.out).toContain("AZURE_CLIENT_SECRET must hold the secret's Value, not its Secret ID")
    expect(run.out).toContain('Otherwise the secret is wrong')
    expect(run.out).not.toContain('has the shape of a GUID')
  })

  it('says so when the secret has the shape of a Secret ID', async () => {
    const secretId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301'
    const run = await doctor(varsFor('ownerSecret', { AZURE_CLIENT_SECRET: secretId }))
    expect(run.code).toBe(1)
    expect(run.out).toContain('AADSTS7000215')
    expect(run.out).toContain(
      'AZURE_CLIENT_SECRET has the shape of a GUID, which is what a Secret ID looks like',
    )
    expect(run.out).not.toContain(secretId)
  })

  it('names the unknown app (AADSTS700016) and the unknown tenant (AADSTS90002)', async () => {
    const app = await doctor(
      varsFor('ownerSecret', { AZURE_CLIENT_ID: '0a0a0a0a-0000-4000-8000-000000000000' }),
    )
    expect(app.out).toContain('No application AZURE_CLIENT_ID 0a0a0a0a-0000-4000-8000-000000000000')
    expect(app.out).toContain('(AADSTS700016)')
    expect(app.out).toContain('Application (client) ID')
    const tenant = await doctor(
      varsFor('ownerSecret', { AZURE_TENANT_ID: '0b0b0b0b-0000-4000-8000-000000000000' }),
    )
    expect(tenant.out).toContain(
      'Entra does not know tenant AZURE_TENANT_ID 0b0b0b0b-0000-4000-8000-000000000000 (AADSTS90002)',
    )
    expect(tenant.out).toContain('AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn')
    expect([app.code, tenant.code]).toEqual([1, 1])
  })

  it('explains a scope of another cloud (AADSTS70011), naming WEBPUBSUB_SCOPE and AZURE_AUTHORITY_HOST', async () => {
    const run = await doctor(
      varsFor('ownerSecret', { WEBPUBSUB_SCOPE: 'https://webpubsub.azure.cn/.default' }),
    )
    expect(run.code).toBe(1)
    expect(run.out).toContain(
      '✗ Entra token: Entra does not accept WEBPUBSUB_SCOPE https://webpubsub.azure.cn/.default (AADSTS70011)',
    )
    expect(run.out).toContain(
      'Azure China: AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn and WEBPUBSUB_SCOPE=https://webpubsub.azure.cn/.default',
    )
    expect(run.out).toContain(
      'Azure US Government: AZURE_AUTHORITY_HOST=https://login.microsoftonline.us',
    )
  })

  it('explains a certificate that is not registered on the app (AADSTS700027)', async () => {
    const stranger = await createSelfSigned({ commonName: 'not-registered' })
    const run = await doctor(
      varsFor('ownerCertificate', {
        AZURE_CLIENT_CERTIFICATE: stranger.privateKeyPem + stranger.certificatePem,
      }),
    )
    expect(run.code).toBe(1)
    expect(run.out).toContain('(AADSTS700027)')
    expect(run.out).toContain('is not registered on AZURE_CLIENT_ID')
    expect(run.out).toContain(
      `az ad app credential reset --id ${emulator.demo.apps.ownerCertificate.clientId} --cert @cert.pem --append`,
    )
    expect(run.out).toMatch(/this one's is [0-9A-F]{40}\./)
    expect(run.out).toContain('The private key belongs to the certificate (checked here).')
  })

  it('explains a 401 from the Auth API by the scope and the tenant', async () => {
    await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'webpubsub.generateToken', kind: 'status', status: 401 }),
    })
    const run = await doctor(varsFor('ownerSecret'))
    expect(run.code).toBe(1)
    expect(run.out).toContain('✗ Auth API: 401: Web PubSub refused the Entra token')
    expect(run.out).toContain(
      "Set WEBPUBSUB_SCOPE to https://webpubsub.azure.com/.default (Azure China: https://webpubsub.azure.cn/.default), or remove it (the token's aud is https://webpubsub.azure.com).",
    )
    expect(run.out).toContain(
      `Set AZURE_TENANT_ID to the tenant of the subscription that holds the resource (the token's tid is ${emulator.demo.tenantId})`,
    )
  })

  it('fails the Auth API step when the answer holds no token', async () => {
    await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'webpubsub.generateToken', kind: 'empty' }),
    })
    const run = await doctor(varsFor('ownerSecret'))
    expect(run.code).toBe(1)
    expect(run.out).toContain('✗ Auth API: The Auth API answered without a token')
  })

  it('lists every configuration problem with its variable and stops before Azure', async () => {
    const run = await doctor({
      AUTH_MODE: 'jwt',
      AZURE_TENANT_ID: emulator.demo.tenantId,
      AZURE_CLIENT_ID: 'not-a-guid',
      AZURE_CLIENT_SECRET: 'emu8Q~whatever-it-is-0000000000000000000',
      WEBPUBSUB_ENDPOINT: 'http://webpubsub.example.com',
      WEBPUBSUB_HUBS: 'chat',
    })
    expect(run.code).toBe(1)
    expect(run.out).toContain('✗ Configuration: 4 problem(s)')
    expect(run.out).toContain('AUTH_ISSUER: is required in jwt mode')
    expect(run.out).toContain('AUTH_AUDIENCE')
    expect(run.out).toContain(
      'AZURE_CLIENT_ID (from the environment): must be a GUID (the application id)',
    )
    expect(run.out).toContain('WEBPUBSUB_ENDPOINT (from the environment): must use https')
    expect(run.out).toContain('- Entra token: needs a valid configuration')
    expect(run.out).toContain('No .dev.vars found: copy .dev.vars.example to .dev.vars')
    expect(emulator.state.counters['entra.token']).toBe(0)
  })

  it('still checks Azure when only the caller settings are wrong', async () => {
    const run = await doctor(varsFor('ownerSecret', { AUTH_MODE: 'jwt' }))
    expect(run.code).toBe(1)
    expect(run.out).toContain('✗ Configuration')
    expect(run.out).toContain('The Azure checks below ran with the Azure variables alone')
    expect(run.out).toContain('✓ Auth API')
    expect(run.out).toContain('Result: a client token was issued, but a check failed')
  })

  it('--json prints one object: every step with id, status, summary, fix and details', async () => {
    const run = await doctor(varsFor('reader'), ['--json'])
    expect(run.code).toBe(1)
    const report = json(run)
    expect(report).toMatchObject({
      ok: false,
      exitCode: 1,
      clientTokenIssued: false,
      mode: 'entra',
    })
    expect(report.sources[0]).toMatch(/^the environment \(AUTH_MODE, AZURE_AUTHORITY_HOST, /)
    expect(report.steps.map((s) => s.id)).toEqual([
      'config',
      'entra-token',
      'token-claims',
      'clock',
      'auth-api',
      'access-key',
      'failover',
      'cache',
    ])
    for (const s of report.steps) {
      expect(['ok', 'fail', 'warn', 'skip']).toContain(s.status)
      expect(typeof s.title).toBe('string')
      expect(typeof s.summary).toBe('string')
      expect(s.fix === null || typeof s.fix === 'string').toBe(true)
      expect(Array.isArray(s.details)).toBe(true)
    }
    const authApi = stepOf(report, 'auth-api')
    expect(authApi).toMatchObject({ status: 'fail', data: { status: 403 } })
    expect(authApi?.fix).toContain('--role "Web PubSub Service Owner"')
    expect(stepOf(report, 'entra-token')?.data).toMatchObject({
      credential: 'secret',
      claims: { aud: 'https://webpubsub.azure.com', tid: emulator.demo.tenantId },
    })
    expect(stepOf(report, 'access-key')?.status).toBe('skip')
  })

  describe('clock skew against Entra', () => {
    it("is measured from Entra's Date header and shown", async () => {
      const run = await doctor(varsFor('ownerSecret'), ['--json'])
      expect(stepOf(json(run), 'clock')).toMatchObject({
        status: 'ok',
        summary: expect.stringContaining("within 1 s of Entra's"),
      })
    })

    it('warns above a minute and says it matters for certificate assertions', async () => {
      const run = await doctor(varsFor('ownerSecret'), [], { now: () => Date.now() + 120_000 })
      expect(run.out).toMatch(
        /! Clock: this machine's clock is 1(19|20|21) s ahead of Entra's \(Date header\): more than a minute/,
      )
      expect(run.out).toContain('certificate assertions do')
      // The probe token is judged by Web PubSub's clock, not this machine's: still issued.
      expect(run.code).toBe(0)
    })

    it('only warns above 5 minutes with a secret: the token is issued, the Worker has its own clock', async () => {
      const run = await doctor(varsFor('ownerSecret'), ['--json'], {
        now: () => Date.now() + 400_000,
      })
      expect(run.code).toBe(0)
      expect(stepOf(json(run), 'clock')).toMatchObject({ status: 'warn' })
      expect(stepOf(json(run), 'clock')?.fix).toContain("Cloudflare's clock")
    })

    it('fails above 5 minutes; a certificate assertion is then refused (AADSTS700024)', async () => {
      const run = await doctor(varsFor('ownerCertificate'), ['--json'], {
        now: () => Date.now() + 400_000,
      })
      const report = json(run)
      expect(run.code).toBe(1)
      expect(stepOf(report, 'clock')).toMatchObject({
        status: 'fail',
        data: { skewSeconds: expect.any(Number) },
      })
      expect(
        Math.abs(Number(stepOf(report, 'clock')?.data?.skewSeconds) + 400),
      ).toBeLessThanOrEqual(2)
      const entra = stepOf(report, 'entra-token')
      expect(entra?.data).toMatchObject({ aadsts: 700024 })
      expect(entra?.summary).toMatch(
        /AADSTS700024\): this machine's clock is 40\d s ahead of Entra's/,
      )
      expect(entra?.fix).toContain('timedatectl set-ntp true')
    })
  })

  describe('access-key mode', () => {
    const keyVars = (connectionString: string) => ({
      AUTH_MODE: 'anonymous',
      WEBPUBSUB_CONNECTION_STRING: connectionString,
      WEBPUBSUB_HUBS: 'chat',
    })

    it('signs a probe token and opens a WebSocket with it: 101, exit 0', async () => {
      const before = emulator.clientService.counters()
      const run = await doctor(keyVars(emulator.demo.connectionString ?? ''))
      expect(run.code).toBe(0)
      expect(run.out).toContain(
        '✓ Access key: the service accepted a token signed with the key (101 Switching Protocols)',
      )
      expect(run.out).toContain(`GET ${emulator.url}/api/health: 200`)
      expect(run.out).toMatch(/✓ Clock: this machine's clock is within 1 s of Web PubSub's/)
      expect(run.out).toContain('- Entra token: access-key mode')
      const after = emulator.clientService.counters()
      expect(after.connectionsOpened - before.connectionsOpened).toBe(1)
      expect(after.connectionsRejected - before.connectionsRejected).toBe(0)
    })

    it('explains a 401: a rotated key or disableLocalAuth, and that Entra is recommended', async () => {
      const rotated = `Endpoint=${emulator.url};AccessKey=${OTHER_KEY};Version=1.0;`
      const run = await doctor(keyVars(rotated))
      expect(run.code).toBe(1)
      expect(run.out).toContain(
        "✗ Access key: 401: the service refused a token signed with WEBPUBSUB_CONNECTION_STRING's key",
      )
      expect(run.out).toContain('disableLocalAuth')
      expect(run.out).toContain('use Entra, the recommended mode')
      expect(run.out).not.toContain(OTHER_KEY)
    })
  })

  it('never prints a secret, a key, a token or an assertion, in any scenario', async () => {
    const stranger = await createSelfSigned({ commonName: 'stranger' })
    const certificatePem = emulator.demo.apps.ownerCertificate.certificatePem ?? ''
    const secrets = [
      ...Object.values(emulator.demo.apps).flatMap((app) =>
        app.clientSecret === undefined ? [] : [app.clientSecret],
      ),
      ACCESS_KEY,
      OTHER_KEY,
      emulator.demo.connectionString ?? '',
      // A line from the middle of each private key: any part of it would be a leak.
      ...[certificatePem, stranger.privateKeyPem].map((pem) => pem.split('\n')[5] ?? ''),
      'emu8Q~not-the-right-secret-0000000000000',
    ]
    const runs = [
      ...(
        ['ownerSecret', 'ownerCertificate', 'reader', 'noRole', 'expiredSecret'] as const
      ).flatMap((name) => [doctor(varsFor(name)), doctor(varsFor(name), ['--json'])]),
      doctor(
        varsFor('ownerSecret', { AZURE_CLIENT_SECRET: 'emu8Q~not-the-right-secret-0000000000000' }),
      ),
      doctor(
        varsFor('ownerCertificate', {
          AZURE_CLIENT_CERTIFICATE: stranger.privateKeyPem + stranger.certificatePem,
        }),
      ),
      doctor(varsFor('ownerCertificate'), [], { now: () => Date.now() + 400_000 }),
      doctor(varsFor('ownerSecret', { AUTH_MODE: 'jwt', TOKEN_CACHE_KEY: 'c2hvcnQ=' })),
      doctor({
        AUTH_MODE: 'anonymous',
        WEBPUBSUB_CONNECTION_STRING: emulator.demo.connectionString ?? '',
        WEBPUBSUB_HUBS: 'chat',
      }),
      doctor({
        AUTH_MODE: 'anonymous',
        WEBPUBSUB_CONNECTION_STRING: `Endpoint=${emulator.url};AccessKey=${OTHER_KEY};Version=1.0;`,
        WEBPUBSUB_HUBS: 'chat',
      }),
    ]
    const done = await Promise.all(runs)
    const tokens = done.flatMap((run) => run.tokens)
    // Not vacuous: Entra tokens, client tokens and assertions did cross the wire.
    expect(tokens.filter((t) => t.startsWith('eyJ')).length).toBeGreaterThan(10)
    for (const run of done) {
      const printed = run.out + run.err
      expect(printed.length).toBeGreaterThan(200)
      for (const secret of [...secrets, ...tokens]) {
        expect(secret.length).toBeGreaterThan(7)
        expect(printed).not.toContain(secret)
      }
      expect(printed).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/)
      expect(printed).not.toContain('PRIVATE KEY')
      expect(printed).not.toContain('[redacted')
    }
  })
})
