// Control API: credentials, counters, faults (status, hang, malformed, empty), latency, reset, apps.
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../../emulator/index'
import { createSelfSigned } from '../../emulator/lib/self-signed'
import {
  JWT_BEARER,
  SCOPE,
  entraErrorOf,
  generateTokenUrl,
  bearer,
  postForm,
  reached,
  secretToken,
  settlement,
  signAssertion,
  tokenUrl,
  useEmulator,
} from './helpers'

const control = (e: RunningEmulator, path: string, method = 'GET', body?: unknown) =>
  fetch(`${e.url}/_emulator${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const counters = async (e: RunningEmulator) =>
  ((await (await control(e, '/counters')).json()) as { routes: Record<string, number> }).routes

const ownerSecretForm = (e: RunningEmulator) => ({
  grant_type: 'client_credentials',
  client_id: e.demo.apps.ownerSecret.clientId,
  client_secret: e.demo.apps.ownerSecret.clientSecret!,
  scope: SCOPE,
})

describe('control API', () => {
  it('returns the demo credentials, equal to RunningEmulator.demo', async () => {
    const emulator = await useEmulator()
    const creds = await (await control(emulator, '/credentials')).json()
    expect(creds).toEqual(emulator.demo)
    expect(emulator.demo).toMatchObject({
      tenantId: 'e0000000-0000-4000-8000-000000000001',
      authorityHost: emulator.url,
      endpoint: emulator.url,
      scope: SCOPE,
      apps: {
        ownerSecret: { clientId: 'e0000000-0000-4000-8000-0000000000a1', role: 'owner' },
        ownerCertificate: { clientId: 'e0000000-0000-4000-8000-0000000000a2', role: 'owner' },
        reader: { clientId: 'e0000000-0000-4000-8000-0000000000a3', role: 'reader' },
        noRole: { clientId: 'e0000000-0000-4000-8000-0000000000a4', role: 'none' },
        expiredSecret: { clientId: 'e0000000-0000-4000-8000-0000000000a5', role: 'owner' },
      },
    })
    expect(emulator.demo.apps.ownerCertificate.certificatePem).toMatch(
      /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n$/,
    )
  })

  it('counts every route, starting at zero, and reset zeroes them', async () => {
    const emulator = await useEmulator()
    const initial = await counters(emulator)
    // Further routes (the WebSocket side's REST actions) may join the list; these five must be there.
    expect(initial).toMatchObject({
      'entra.token': 0,
      'entra.openid': 0,
      'entra.jwks': 0,
      'webpubsub.generateToken': 0,
      'webpubsub.health': 0,
      'webpubsub.closeConnections': 0,
      'webpubsub.sendToGroup': 0,
    })
    expect(Object.values(initial).every((n) => n === 0)).toBe(true)
    await fetch(`${emulator.url}/api/health`)
    await fetch(`${emulator.url}/api/health`)
    await fetch(generateTokenUrl(emulator, 'chat', 'api-version=2024-12-01'), { method: 'POST' }) // 401 counts too
    await postForm(tokenUrl(emulator), { grant_type: 'client_credentials' })
    expect(await counters(emulator)).toMatchObject({
      'webpubsub.health': 2,
      'webpubsub.generateToken': 1,
      'entra.token': 1,
    })
    expect((await control(emulator, '/reset', 'POST')).status).toBe(204)
    expect(Object.values(await counters(emulator)).every((n) => n === 0)).toBe(true)
  })

  it('injects an Entra status fault with Retry-After for the next `times` requests, counted', async () => {
    const emulator = await useEmulator()
    const queued = await control(emulator, '/faults', 'POST', {
      route: 'entra.token',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 7,
      times: 2,
    })
    expect(queued.status).toBe(200)
    for (let i = 0; i < 2; i++) {
      const res = await postForm(tokenUrl(emulator), ownerSecretForm(emulator))
      expect(res.status).toBe(429)
      expect(res.headers.get('retry-after')).toBe('7')
      const body = await entraErrorOf(res)
      expect(body.error).toBe('temporarily_unavailable')
      expect(body.error_description).toMatch(/^AADSTS90033: /)
    }
    expect((await postForm(tokenUrl(emulator), ownerSecretForm(emulator))).status).toBe(200)
    expect((await counters(emulator))['entra.token']).toBe(3)
  })

  it('injects a Web PubSub 503 until reset with times -1, without Retry-After when not given', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/faults', 'POST', {
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 503,
      times: -1,
    })
    const token = await secretToken(emulator)
    for (let i = 0; i < 3; i++) {
      const res = await fetch(
        generateTokenUrl(emulator, 'chat', 'api-version=2024-12-01'),
        bearer(token),
      )
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBeNull()
      expect(res.headers.get('x-ms-error-code')).toBe('Error.ServiceUnavailable')
      expect(((await res.json()) as { code: string }).code).toBe('Error.ServiceUnavailable')
    }
    await control(emulator, '/reset', 'POST')
    expect(
      (await fetch(generateTokenUrl(emulator, 'chat', 'api-version=2024-12-01'), bearer(token)))
        .status,
    ).toBe(200)
  })

  it('answers malformed JSON and an empty object for the malformed and empty kinds', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/faults', 'POST', { route: 'entra.token', kind: 'malformed' })
    await control(emulator, '/faults', 'POST', { route: 'entra.token', kind: 'empty' })
    const first = await postForm(tokenUrl(emulator), ownerSecretForm(emulator))
    expect(first.status).toBe(200)
    const text = await first.text()
    expect(() => JSON.parse(text)).toThrow()
    const second = await postForm(tokenUrl(emulator), ownerSecretForm(emulator))
    expect(await second.json()).toEqual({})
    const third = await postForm(tokenUrl(emulator), ownerSecretForm(emulator))
    expect(Object.keys((await third.json()) as object)).toContain('access_token')
  })

  it('cuts the :generateToken body short for a malformed fault', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/faults', 'POST', {
      route: 'webpubsub.generateToken',
      kind: 'malformed',
    })
    const res = await fetch(
      generateTokenUrl(emulator, 'chat', 'api-version=2024-12-01'),
      bearer(await secretToken(emulator)),
    )
    expect(res.status).toBe(200)
    await expect(res.json()).rejects.toThrow()
  })

  it('hangs until the client gives up, then serves normally', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/faults', 'POST', { route: 'webpubsub.health', kind: 'hang' })
    const leaving = new AbortController()
    const hanging = settlement(
      fetch(`${emulator.url}/api/health`, { signal: leaving.signal }).then((r) => r.status),
    )
    await reached(emulator, 'webpubsub.health', 1)
    // A later request is answered while the first still waits: it hangs, it is not merely slow.
    expect((await fetch(`${emulator.url}/api/health`)).status).toBe(200)
    expect(hanging.outcome).toBe('pending')
    leaving.abort()
    expect(await hanging.settled).toBe('failed')
  })

  it('ends hanging requests when the emulator closes', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/faults', 'POST', { route: 'webpubsub.health', kind: 'hang' })
    const pending = settlement(fetch(`${emulator.url}/api/health`))
    await reached(emulator, 'webpubsub.health', 1)
    // The test timeout is the guard: close() must not wait for the hanging request.
    await emulator.close()
    expect(await pending.settled).toBe('failed')
  })

  it('adds latency per route, and reset removes it', async () => {
    const emulator = await useEmulator()
    // An hour: far beyond the test timeout, so any request it delays is still waiting below.
    expect(
      (await control(emulator, '/latency', 'POST', { route: 'webpubsub.health', ms: 3_600_000 }))
        .status,
    ).toBe(200)
    const delayed = settlement(fetch(`${emulator.url}/api/health`))
    await reached(emulator, 'webpubsub.health', 1)
    // Other routes answer at once; the delayed one is still waiting after that round trip.
    const discovery = `${emulator.url}/${emulator.demo.tenantId}/v2.0/.well-known/openid-configuration`
    expect((await fetch(discovery)).status).toBe(200)
    expect(delayed.outcome).toBe('pending')
    await control(emulator, '/reset', 'POST')
    // Had reset left the hour in place, this would time the test out.
    expect((await fetch(`${emulator.url}/api/health`)).status).toBe(200)
  })

  it('rejects bad control requests with 400', async () => {
    const emulator = await useEmulator()
    const bad: [string, string, unknown][] = [
      ['/faults', 'POST', { route: 'entra.nope', kind: 'status', status: 500 }],
      ['/faults', 'POST', { route: 'entra.token', kind: 'explode' }],
      ['/faults', 'POST', { route: 'entra.token', kind: 'status' }],
      ['/faults', 'POST', { route: 'entra.token', kind: 'hang', times: 0 }],
      ['/latency', 'POST', { route: 'entra.token', ms: -1 }],
      ['/settings', 'PATCH', { entraTokenLifetimeSeconds: 0 }],
      ['/role-assignments', 'PUT', { clientId: 'unknown', role: 'owner' }],
      ['/role-assignments', 'PUT', { clientId: emulator.demo.apps.reader.clientId, role: 'admin' }],
      ['/apps', 'POST', { role: 'superuser' }],
      ['/apps', 'POST', { role: 'owner', certificatePem: 'not a pem' }],
    ]
    for (const [path, method, body] of bad) {
      const res = await control(emulator, path, method, body)
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400)
      expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(3)
    }
  })

  it('restores settings and role assignments on reset', async () => {
    const emulator = await useEmulator()
    await control(emulator, '/settings', 'PATCH', {
      entraTokenLifetimeSeconds: 120,
      entraRefreshInSeconds: 60,
    })
    await control(emulator, '/role-assignments', 'PUT', {
      clientId: emulator.demo.apps.reader.clientId,
      role: 'owner',
    })
    expect(
      ((await (await control(emulator, '/credentials')).json()) as typeof emulator.demo).apps.reader
        .role,
    ).toBe('owner')
    await control(emulator, '/reset', 'POST')
    const res = await postForm(tokenUrl(emulator), ownerSecretForm(emulator))
    const body = (await res.json()) as Record<string, unknown>
    expect(body.expires_in).toBe(3599)
    expect(body).not.toHaveProperty('refresh_in')
    expect(emulator.state.roleOf(emulator.demo.apps.reader.clientId)).toBe('reader')
  })

  it('registers apps with a secret, a generated secret or a certificate', async () => {
    const emulator = await useEmulator()
    const withSecret = await control(emulator, '/apps', 'POST', {
      role: 'owner',
      secret: 'my-secret',
    })
    expect(withSecret.status).toBe(201)
    const app = (await withSecret.json()) as { clientId: string; clientSecret: string }
    expect(app.clientSecret).toBe('my-secret')
    const token = await secretToken(emulator, { ...app, role: 'owner' })
    expect(
      (await fetch(generateTokenUrl(emulator, 'chat', 'api-version=2024-12-01'), bearer(token)))
        .status,
    ).toBe(200)

    const generated = (await (
      await control(emulator, '/apps', 'POST', { role: 'reader' })
    ).json()) as { clientSecret: string }
    expect(generated.clientSecret).toMatch(/^emu8Q~/)

    const cert = await createSelfSigned({ commonName: 'registered' })
    const certApp = (await (
      await control(emulator, '/apps', 'POST', {
        role: 'owner',
        certificatePem: cert.certificatePem,
      })
    ).json()) as {
      clientId: string
      clientSecret?: string
    }
    expect(certApp.clientSecret).toBeUndefined()
    const assertion = await signAssertion({
      certificatePem: cert.privateKeyPem + cert.certificatePem,
      clientId: certApp.clientId,
      aud: tokenUrl(emulator),
    })
    const res = await postForm(tokenUrl(emulator), {
      grant_type: 'client_credentials',
      client_id: certApp.clientId,
      scope: SCOPE,
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    })
    expect(res.status).toBe(200)
  })
})
