import {
  createExecutionContext,
  createScheduledController,
  env as workerEnv,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { beforeEach, describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { emulator } from '../support/emulator'
import { createHarness } from '../support/harness'
import { KvDouble } from '../support/kv-double'

beforeEach(() => emulator.reset())

const entraSource = (response: Response) =>
  /entra;dur=[\d.]+;desc="(\w+)"/.exec(response.headers.get('server-timing') ?? '')?.[1]

/**
 * The Worker's outbound fetch, passed through to the emulator while recording the Entra tokens
 * issued and the ones the Auth API was called with; `hold()` keeps Entra's answers back until
 * released (an aborted attempt still ends, as a real fetch does, and counts as finished).
 */
function observedUpstreams() {
  const state = {
    started: 0,
    finished: 0,
    /** access_token of every Entra answer, in order. */
    issued: [] as string[],
    /** The Entra token every Auth API call carried, in order. */
    bearers: [] as string[],
  }
  let gate: Promise<void> | undefined
  let onStart: () => void = () => undefined
  const untilReleasedOrAborted = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason))
      void gate?.then(resolve)
    })
  const upstream: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const path = new URL(request.url).pathname
    if (path.endsWith('/:generateToken')) {
      state.bearers.push((request.headers.get('authorization') ?? '').replace(/^Bearer /, ''))
    }
    if (!path.endsWith('/oauth2/v2.0/token')) return fetch(request)
    state.started++
    try {
      if (gate !== undefined) {
        onStart()
        await untilReleasedOrAborted(request.signal)
      }
      const response = await fetch(request)
      const body = (await response.clone().json()) as { access_token?: string }
      if (body.access_token !== undefined) state.issued.push(body.access_token)
      return response
    } finally {
      state.finished++
    }
  }
  return Object.assign(state, {
    fetch: upstream,
    /** Holds Entra's answers from now on; `started` settles when a held call begins. */
    hold() {
      let release: () => void = () => undefined
      gate = new Promise<void>((resolve) => (release = resolve))
      const started = new Promise<void>((resolve) => (onStart = resolve))
      return {
        started,
        release: () => {
          gate = undefined
          release()
        },
      }
    },
  })
}

describe('routes/negotiate token caching', () => {
  it('makes exactly one Entra call for many negotiations in a warm isolate', async () => {
    const h = await createHarness()
    for (let i = 0; i < 10; i++) expect((await h.request('/negotiate')).status).toBe(200)
    const counters = await emulator.counters()
    expect(counters['entra.token']).toBe(1)
    expect(counters['webpubsub.generateToken']).toBe(10)
  })

  it('makes one Entra call for concurrent negotiations in a cold isolate', async () => {
    await emulator.latency('entra.token', 200)
    const h = await createHarness()
    const responses = await Promise.all(Array.from({ length: 6 }, () => h.request('/negotiate')))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect((await emulator.counters())['entra.token']).toBe(1)
    expect(responses.map(entraSource).sort()).toEqual([
      'fetch',
      'memory',
      'memory',
      'memory',
      'memory',
      'memory',
    ])
  })

  it('works with a certificate credential (PS256 assertion with x5t#S256)', async () => {
    const h = await createHarness({ app: 'ownerCertificate' })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(200)
    expect(entraSource(response)).toBe('fetch')
    expect((await h.request('/negotiate')).status).toBe(200)
    expect((await emulator.counters())['entra.token']).toBe(1)
  })

  it('refreshes ahead of expiry in the background without making the request wait', async () => {
    await emulator.settings({ entraTokenLifetimeSeconds: 3600, entraRefreshInSeconds: 1800 })
    const entra = observedUpstreams()
    const h = await createHarness({ fetch: entra.fetch })
    expect((await h.request('/negotiate')).status).toBe(200)
    h.advance(1900_000) // past refresh_in, well before the 5-minute stale margin
    const held = entra.hold()
    const { response, settled } = await h.requestDeferred('/negotiate')
    // Answered while the refresh's Entra call is still held: the request did not wait for it.
    const finishedWhenAnswered = entra.finished
    await held.started
    expect({ started: entra.started, finishedWhenAnswered }).toEqual({
      started: 2,
      finishedWhenAnswered: 1,
    })
    expect(response.status).toBe(200)
    expect(entraSource(response)).toBe('memory')
    expect(entra.bearers).toEqual([entra.issued[0], entra.issued[0]])

    held.release()
    await settled
    expect(entra.finished).toBe(2)
    expect(entra.issued).toHaveLength(2)
    expect(entra.issued[1]).not.toBe(entra.issued[0])
    // The next request uses the refreshed token from memory and starts no further refresh.
    const next = await h.request('/negotiate')
    expect(entraSource(next)).toBe('memory')
    expect(entra.bearers.at(-1)).toBe(entra.issued[1])
    expect((await emulator.counters())['entra.token']).toBe(2)
  })

  it('makes a request wait only when the token is within 5 minutes of expiry', async () => {
    await emulator.settings({ entraTokenLifetimeSeconds: 3600 })
    const h = await createHarness()
    await h.request('/negotiate')
    h.advance(3600_000 - 4 * 60_000)
    const response = await h.request('/negotiate')
    expect(entraSource(response)).toBe('fetch')
    expect((await emulator.counters())['entra.token']).toBe(2)
  })

  it('lets a new isolate start from the encrypted KV entry instead of Entra', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const first = await createHarness({ vars: { TOKEN_CACHE: kv } })
    await first.request('/negotiate')
    const stored = kv.peek(kv.keys()[0] ?? '') ?? ''
    expect(stored.startsWith('v1.')).toBe(true)
    expect(kv.keys()[0]).toMatch(/^entra-token:v1:[A-Za-z0-9_-]{43}$/)
    const second = await createHarness({ vars: { TOKEN_CACHE: kv } })
    const response = await second.request('/negotiate')
    expect(entraSource(response)).toBe('kv')
    expect((await emulator.counters())['entra.token']).toBe(1)
  })

  it('misses the old KV entry after the secret rotates', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const app = await emulator.registerApp({ role: 'owner', secret: 'first-secret-value' })
    const before = await createHarness({
      app: { ...app, clientSecret: 'first-secret-value', role: 'owner' },
      vars: { TOKEN_CACHE: kv },
    })
    await before.request('/negotiate')
    const rotated = await emulator.registerApp({ role: 'owner', secret: 'second-secret-value' })
    const after = await createHarness({
      app: { ...rotated, clientSecret: 'second-secret-value', role: 'owner' },
      vars: { TOKEN_CACHE: kv },
    })
    expect(entraSource(await after.request('/negotiate'))).toBe('fetch')
    expect(kv.keys()).toHaveLength(2)
  })

  it('still answers when KV reads and writes fail', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    kv.failReads = true
    kv.failWrites = true
    const h = await createHarness({ vars: { TOKEN_CACHE: kv } })
    expect((await h.request('/negotiate')).status).toBe(200)
    expect((await h.request('/negotiate')).status).toBe(200)
    expect((await emulator.counters())['entra.token']).toBe(1)
    expect(h.logs.some((l) => l.includes('kv_read_failed'))).toBe(true)
    expect(h.logs.some((l) => l.includes('kv_write_failed'))).toBe(true)
  })

  it('runs without a KV binding, from memory only', async () => {
    const h = await createHarness({ vars: { TOKEN_CACHE: undefined } })
    expect((await h.request('/negotiate')).status).toBe(200)
    expect(entraSource(await h.request('/negotiate'))).toBe('memory')
  })

  it('keeps KV fresh from the scheduled handler, so a new isolate finds a token', async () => {
    const kv = new KvDouble({ now: () => Date.now() })
    const cron = await createHarness({ vars: { TOKEN_CACHE: kv } })
    expect(await cron.scheduled()).toBe('refreshed')
    expect(await cron.scheduled()).toBe('fresh')
    expect((await emulator.counters())['entra.token']).toBe(1)
    const isolate = await createHarness({ vars: { TOKEN_CACHE: kv } })
    expect(entraSource(await isolate.request('/negotiate'))).toBe('kv')
    expect((await emulator.counters())['entra.token']).toBe(1)
  })

  it('wires the scheduled handler into the Worker entry', async () => {
    const h = await createHarness()
    const ctx = createExecutionContext()
    await worker.scheduled(
      createScheduledController({ cron: '*/5 * * * *' }),
      { ...workerEnv, ...h.env } as Env,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect((await emulator.counters())['entra.token']).toBe(1)
  })
})

describe('routes/negotiate secrecy', () => {
  it('never writes secrets, assertions or tokens to logs or error bodies', async () => {
    const credentials = await emulator.credentials()
    const secretApp = credentials.apps.ownerSecret
    const h = await createHarness()
    const ok = (await (await h.request('/negotiate')).json()) as { token: string }
    await emulator.fault({
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 401,
      times: 2,
    })
    const failed = await (await h.request('/negotiate')).text()
    const certHarness = await createHarness({ app: 'ownerCertificate' })
    await certHarness.request('/negotiate')
    const wrong = await createHarness({
      vars: { AZURE_CLIENT_SECRET: 'wrong-secret-do-not-log' },
    })
    const rejected = await (await wrong.request('/negotiate')).text()

    const everything = [...h.logs, ...certHarness.logs, ...wrong.logs, failed, rejected].join('\n')
    expect(everything).not.toContain(secretApp.clientSecret)
    expect(everything).not.toContain('wrong-secret-do-not-log')
    expect(everything).not.toContain(ok.token)
    expect(everything).not.toContain('PRIVATE KEY')
    // No JWT of any kind (Entra access token, client assertion, client token).
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/)
    expect(h.logs.length).toBeGreaterThan(0)
  })
})
