import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { FAKE_CERT_PEM, FAKE_KEY_PEM } from '../support/fake-pem'
import { clockedHarness } from '../support/client-tokens'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

describe('routes/health', () => {
  it('answers /healthz without touching upstreams, even when misconfigured', async () => {
    const h = await createHarness({ vars: { AUTH_MODE: undefined } })
    const response = await h.request('/healthz')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
    const counters = await emulator.counters()
    expect(counters['entra.token'] + counters['webpubsub.generateToken']).toBe(0)
  })

  it('answers /readyz 200 when an Entra token can be had', async () => {
    const h = await createHarness()
    const response = await h.request('/readyz')
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      status: 'ready',
      authMode: 'anonymous',
      hubs: ['chat', 'lobby'],
      checks: { config: 'ok', entraToken: 'fetch', authApi: 'ok', kv: 'bound' },
    })
  })

  it('answers /readyz 503 with the reason when Entra rejects the credential', async () => {
    const h = await createHarness({
      vars: { AZURE_CLIENT_SECRET: 'nope' },
    })
    const response = await h.request('/readyz')
    expect(response.status).toBe(503)
    expect(await problemOf(response)).toMatchObject({
      status: 503,
      code: 'entra_credentials_rejected',
    })
  })

  it('answers /readyz 500 config_invalid when the configuration is broken', async () => {
    const h = await createHarness({ vars: { WEBPUBSUB_ENDPOINT: 'ftp://x' } })
    const response = await h.request('/readyz')
    expect(response.status).toBe(500)
    const problem = await problemOf(response)
    expect(problem.code).toBe('config_invalid')
    expect(problem.problems).toEqual([expect.objectContaining({ variable: 'WEBPUBSUB_ENDPOINT' })])
  })

  it('reports a certificate whose key cannot be imported as a configuration problem', async () => {
    const pem = `${FAKE_KEY_PEM}\n${FAKE_CERT_PEM}`
    const h = await createHarness({
      vars: { AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE: pem },
    })
    const problem = await problemOf(await h.request('/readyz'))
    expect(problem.problems).toEqual([
      expect.objectContaining({ variable: 'AZURE_CLIENT_CERTIFICATE' }),
    ])
  })
})

describe('routes/health: the Auth API probe of /readyz', () => {
  const authApiCalls = async () => (await emulator.counters())['webpubsub.generateToken']

  it('issues one probe token, then answers from it for 5 minutes', async () => {
    // The Auth API answers on the harness clock: the emulator's one-minute tokens would expire.
    const { h, calls } = await clockedHarness()
    const first = (await (await h.request('/readyz')).json()) as { checks: Record<string, string> }
    expect(first.checks.authApi).toBe('ok')
    expect(Date.parse(first.checks.authApiProbedAt ?? '')).toBeGreaterThan(h.now() - 60_000)
    expect(calls()).toBe(1)
    h.advance(4 * 60_000)
    expect((await h.request('/readyz')).status).toBe(200)
    expect(calls()).toBe(1)
    h.advance(60_000 + 1)
    expect((await h.request('/readyz')).status).toBe(200)
    expect(calls()).toBe(2)
  })

  it('gives the diagnosis /negotiate gives when the role is Reader, and probes again after 30 s', async () => {
    const h = await createHarness({ app: 'reader' })
    const negotiated = await problemOf(await h.request('/negotiate'))
    expect(negotiated.code).toBe('webpubsub_forbidden')
    const ready = await h.request('/readyz')
    expect(ready.status).toBe(503)
    const problem = await problemOf(ready)
    expect(problem).toMatchObject({ code: 'webpubsub_forbidden', detail: negotiated.detail })
    expect(problem.detail).toContain('Web PubSub Service Owner')
    const calls = await authApiCalls()
    h.advance(29_000)
    expect((await h.request('/readyz')).status).toBe(503)
    expect(await authApiCalls()).toBe(calls)
    h.advance(1_001)
    expect((await h.request('/readyz')).status).toBe(503)
    expect(await authApiCalls()).toBe(calls + 1)
  })

  it('never probes on the /negotiate path', async () => {
    const h = await createHarness()
    for (let i = 0; i < 3; i++) expect((await h.request('/negotiate')).status).toBe(200)
    expect(await authApiCalls()).toBe(3)
    expect((await h.request('/readyz')).status).toBe(200)
    expect(await authApiCalls()).toBe(4)
  })

  it('makes one probe for a burst of /readyz requests', async () => {
    const h = await createHarness()
    const answers = await Promise.all(Array.from({ length: 6 }, () => h.request('/readyz')))
    expect(answers.map((response) => response.status)).toEqual(Array(6).fill(200))
    expect(await authApiCalls()).toBe(1)
  })
})
