// The audit trail: one `negotiated` line per negotiation, with who got what from where, never a token.
import { beforeEach, describe, expect, it } from 'vitest'
import { createUserIdHasher } from '../../src/lib/user-id-hash'
import { emulator, emulatorUrl } from '../support/emulator'
import { createHarness } from '../support/harness'
import { KvDouble } from '../support/kv-double'
import { mintUserToken } from '../support/user-token'

beforeEach(() => emulator.reset())

const AUDIENCE = 'api://negotiator-audit-test'
const CACHE_KEY = 'q6Q3ZbB0Qm8N0r5J6s4k2VYwqK0b7Q5u3x6yWcP1nHo='
const jwtVars = (extra: Record<string, unknown> = {}) => ({
  AUTH_MODE: 'jwt',
  AUTH_ISSUER: `${emulatorUrl()}/oidc`,
  AUTH_AUDIENCE: AUDIENCE,
  POLICY: {
    hubs: {
      chat: {
        roles: ['webpubsub.sendToGroup.user.{sub}'],
        groups: ['user.{sub}'],
        requestableGroups: ['room.*'],
      },
    },
  },
  TOKEN_CACHE: new KvDouble({ now: () => Date.now() }),
  TOKEN_CACHE_KEY: CACHE_KEY,
  ...extra,
})

type Line = Record<string, unknown> & { event: string }
const negotiatedLines = (logs: string[]) =>
  logs.map((line) => JSON.parse(line) as Line).filter((line) => line.event === 'negotiated')

describe('audit trail (negotiated line)', () => {
  it('names the request, hub, protocol, user, grant, expiry, sources, resource and latency', async () => {
    const h = await createHarness({ vars: jwtVars() })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    const headers = { authorization: `Bearer ${token}`, 'x-request-id': 'audit-1' }
    const first = await h.request('/negotiate?hub=chat&protocol=default&group=room.1', {
      headers,
    })
    expect(first.status).toBe(200)
    const body = (await first.json()) as { expiresAt: string; token: string }
    const second = await h.request('/negotiate?hub=chat&protocol=default&group=room.1', {
      headers: { ...headers, 'x-request-id': 'audit-2' },
    })
    expect(second.status).toBe(200)
    const lines = negotiatedLines(h.logs)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      level: 'info',
      requestId: 'audit-1',
      hub: 'chat',
      protocol: 'default',
      authMode: 'jwt',
      userId: 'alice',
      roles: ['webpubsub.sendToGroup.user.alice'],
      groups: ['user.alice', 'room.1'],
      expiresAt: body.expiresAt,
      entraToken: 'fetch',
      clientToken: 'fetched',
      resource: emulatorUrl(),
    })
    expect(lines[0]?.latencyMs).toEqual(expect.any(Number))
    // The second was served from the reuse cache: no Entra token was needed.
    expect(lines[1]).toMatchObject({
      requestId: 'audit-2',
      entraToken: null,
      clientToken: 'reused-memory',
    })
    for (const line of h.logs) {
      expect(line).not.toContain(body.token)
      expect(line).not.toContain(token)
    }
  })

  it('writes a keyed hash instead of the user id with LOG_USER_ID=hash', async () => {
    const h = await createHarness({ vars: jwtVars({ LOG_USER_ID: 'hash' }) })
    const token = await mintUserToken({ sub: 'alice', audience: AUDIENCE })
    const response = await h.request('/negotiate', {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(200)
    const [line] = negotiatedLines(h.logs)
    expect(line).not.toHaveProperty('userId')
    const hash = await (await createUserIdHasher(Buffer.from(CACHE_KEY, 'base64')))('alice')
    expect(line?.userIdHash).toBe(hash)
    expect(hash).toMatch(/^[A-Za-z0-9_-]{22}$/)
    // Keyed: another key gives another hash, so a guessed id cannot be checked without the key.
    const other = await (await createUserIdHasher(new Uint8Array(32).fill(7)))('alice')
    expect(other).not.toBe(hash)
    // Roles and groups rendered from the user id still carry it: the operator chooses the policy.
    expect(JSON.stringify(line?.roles)).toContain('alice')
  })

  it('refuses an unknown LOG_USER_ID, naming it', async () => {
    const h = await createHarness({ vars: jwtVars({ LOG_USER_ID: 'sha256' }) })
    const response = await h.request('/negotiate')
    expect(response.status).toBe(500)
    expect(await response.text()).toContain('LOG_USER_ID')
  })

  it('writes no audit line for a refused negotiation, and none at LOG_LEVEL=warn', async () => {
    const h = await createHarness({ vars: jwtVars() })
    expect((await h.request('/negotiate')).status).toBe(401)
    expect(negotiatedLines(h.logs)).toEqual([])
    const quiet = await createHarness({ vars: jwtVars({ LOG_LEVEL: 'warn' }) })
    const token = await mintUserToken({ sub: 'bob', audience: AUDIENCE })
    const ok = await quiet.request('/negotiate', { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(negotiatedLines(quiet.logs)).toEqual([])
  })
})
