// npm run doctor's failover step: every resource's health and probe, against an emulator with two resources.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../emulator/index'
import { parseConfig, type Config } from '../../src/config'
import { createContext } from '../../scripts/doctor/context'
import { runDoctor } from '../../scripts/doctor/main'
import type { DoctorReport } from '../../scripts/doctor/report'
import { createRedactor } from '../../scripts/doctor/redact'
import { failoverStep } from '../../scripts/doctor/resource-steps'
import { secretToken } from '../emulator/helpers'
import { emulatorEnv } from '../support/emulator-vars'

const ACCESS_KEY = 'FailoverAccessKey0123456789abcdefABCDEFgh='

let emulator: RunningEmulator
let primary: string
let secondary: string
let cwd: string

beforeAll(async () => {
  emulator = await startEmulator({ quiet: true, resources: 2, accessKey: ACCESS_KEY })
  ;[primary = '', secondary = ''] = emulator.demo.endpoints
  cwd = await mkdtemp(join(tmpdir(), 'doctor-failover-'))
})

afterAll(async () => {
  await emulator.close()
  await rm(cwd, { recursive: true, force: true })
})

/** runDoctor in an empty directory with these variables; the parsed --json report. */
async function doctor(
  env: Record<string, string>,
): Promise<{ code: number; report: DoctorReport }> {
  let out = ''
  const code = await runDoctor({
    argv: ['--json'],
    env,
    cwd,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (out += text) },
  })
  return { code, report: JSON.parse(out) as DoctorReport }
}

const failover = (report: DoctorReport) => report.steps.find((s) => s.id === 'failover')
afterEach(() => emulator.state.reset())

async function control(endpoint: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${endpoint}/_emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.ok).toBe(true)
}

function entraConfig(): Config {
  const parsed = parseConfig({ ...emulatorEnv(emulator), WEBPUBSUB_ENDPOINT: primary })
  if (!parsed.ok) throw new Error('test config is invalid')
  return parsed.config
}

const context = () =>
  createContext({ fetch, now: Date.now, timeoutMs: 10_000, redactor: createRedactor({}) })

/** The failover step in Entra mode over both resources, with the Owner app's token. */
async function failoverOfBoth() {
  return failoverStep(
    entraConfig(),
    [{ endpoint: primary }, { endpoint: secondary }],
    { accessToken: await secretToken(emulator), claims: undefined },
    context(),
  )
}

describe('npm run doctor with WEBPUBSUB_SECONDARY_ENDPOINTS', () => {
  const vars = () => ({
    ...emulatorEnv(emulator),
    WEBPUBSUB_ENDPOINT: primary,
    WEBPUBSUB_SECONDARY_ENDPOINTS: secondary,
  })

  it('exits 0 when both resources issue client tokens', async () => {
    const { code, report } = await doctor(vars())
    expect(code).toBe(0)
    expect(failover(report)).toMatchObject({
      status: 'ok',
      summary: 'all 2 resources are healthy and issue client tokens',
    })
  })

  it('exits 1 when the role is missing on the secondary only, naming that resource', async () => {
    const clientId = emulator.demo.apps.ownerSecret.clientId
    await control(secondary, 'PUT', '/role-overrides', { clientId, role: 'none' })
    const { code, report } = await doctor(vars())
    expect(code).toBe(1)
    expect(report.clientTokenIssued).toBe(true)
    expect(report.steps.find((s) => s.id === 'auth-api')?.status).toBe('ok')
    expect(failover(report)?.status).toBe('fail')
    expect(failover(report)?.fix).toContain(`${secondary}:\nAssign "Web PubSub Service Owner"`)
  })

  it('probes every connection string in access-key mode', async () => {
    const [first = '', second = ''] = emulator.demo.connectionStrings ?? []
    const { code, report } = await doctor({
      AUTH_MODE: 'anonymous',
      WEBPUBSUB_CONNECTION_STRING: first,
      WEBPUBSUB_SECONDARY_CONNECTION_STRINGS: second,
      WEBPUBSUB_HUBS: 'chat',
    })
    expect(code).toBe(0)
    expect(failover(report)?.details).toEqual([
      `✓ primary ${primary}: health 200; client token issued`,
      `✓ secondary 1 ${secondary}: health 200; client token issued`,
    ])
  })
})

describe('doctor: failover resources', () => {
  it('skips a single resource', async () => {
    const result = await failoverStep(entraConfig(), [{ endpoint: primary }], undefined, context())
    expect(result.status).toBe('skip')
  })

  it('passes when every resource is healthy and issues a client token', async () => {
    const result = await failoverOfBoth()
    expect(result.status).toBe('ok')
    expect(result.details).toEqual([
      `✓ primary ${primary}: health 200; client token issued`,
      `✓ secondary 1 ${secondary}: health 200; client token issued`,
    ])
  })

  it('names the secondary that lacks the role, with the az command for that resource', async () => {
    const clientId = emulator.demo.apps.ownerSecret.clientId
    await control(secondary, 'PUT', '/role-overrides', { clientId, role: 'reader' })
    const result = await failoverOfBoth()
    expect(result.status).toBe('fail')
    expect(result.summary).toBe('1 of 2 resources cannot issue client tokens')
    expect(result.details[0]).toMatch(/^✓ primary/)
    expect(result.details[1]).toContain(`✗ secondary 1 ${secondary}: health 200; 403`)
    expect(result.fix).toContain(`${secondary}:\nAssign "Web PubSub Service Owner"`)
    expect(result.fix).toContain(
      `az role assignment create --assignee ${clientId} --role "Web PubSub Service Owner"`,
    )
    expect(result.fix).toContain('up to 30 minutes')
    expect(result.fix).not.toContain(`${primary}:\n`)
  })

  it('reports a resource whose health endpoint fails', async () => {
    await control(secondary, 'POST', '/outage', { down: true })
    const result = await failoverOfBoth()
    expect(result.status).toBe('fail')
    expect(result.details[1]).toContain(`✗ secondary 1 ${secondary}: health 503`)
    expect(result.fix).toContain('will not fail over to it until it is healthy')
  })

  it("checks each resource's own access key in access-key mode", async () => {
    const [first = '', second = ''] = emulator.demo.connectionStrings ?? []
    const keyOf = (connection: string) => /AccessKey=([^;]+)/.exec(connection)?.[1] ?? ''
    const parsed = parseConfig({
      AUTH_MODE: 'anonymous',
      WEBPUBSUB_CONNECTION_STRING: first,
      WEBPUBSUB_HUBS: 'chat',
    })
    if (!parsed.ok) throw new Error('test config is invalid')
    const withSecondaryKey = (secondaryKey: string) =>
      failoverStep(
        parsed.config,
        [
          { endpoint: primary, accessKey: keyOf(first) },
          { endpoint: secondary, accessKey: secondaryKey },
        ],
        undefined,
        context(),
      )
    const good = await withSecondaryKey(keyOf(second))
    expect(good.status).toBe('ok')
    const swapped = await withSecondaryKey(keyOf(first))
    expect(swapped.status).toBe('fail')
    expect(swapped.details[1]).toContain('401')
    expect(swapped.fix).toContain('WEBPUBSUB_SECONDARY_CONNECTION_STRINGS')
  })
})
