import { beforeEach, describe, expect, it } from 'vitest'
import { emulator } from '../support/emulator'
import { FAKE_CERT_PEM, FAKE_KEY_PEM } from '../support/fake-pem'
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
      checks: { config: 'ok', entraToken: 'fetch', kv: 'bound' },
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
