// authorizeRequest (reused by later data-plane routes): token checks against an injected clock, roles.
import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../../emulator/config'
import { issueAccessToken } from '../../emulator/entra/access-token'
import { createSelfSigned } from '../../emulator/lib/self-signed'
import { createEmulatorState } from '../../emulator/state'
import { parseRole } from '../../emulator/roles'
import { DATA_ACTIONS, authorizeRequest, roleGrants } from '../../emulator/webpubsub/authorize'

const OWNER = 'e0000000-0000-4000-8000-0000000000a1'
const READER = 'e0000000-0000-4000-8000-0000000000a3'

async function setup() {
  let nowMs = Date.UTC(2026, 0, 1, 12)
  const state = await createEmulatorState({
    config: defaultConfig(),
    demoCertificate: await createSelfSigned({ commonName: 'test' }),
    now: () => nowMs,
  })
  const tokenFor = (clientId: string) =>
    issueAccessToken(state, state.apps.get(clientId)!, {
      nowSeconds: Math.floor(nowMs / 1000),
      lifetimeSeconds: 3599,
      credential: 'secret',
    })
  return { state, tokenFor, advance: (ms: number) => (nowMs += ms) }
}

describe('authorizeRequest', () => {
  it('returns the owner principal for a fresh token', async () => {
    const { state, tokenFor } = await setup()
    const result = await authorizeRequest(
      `Bearer ${await tokenFor(OWNER)}`,
      state,
      DATA_ACTIONS.generateToken,
    )
    expect(result).toEqual({
      ok: true,
      principal: {
        clientId: OWNER,
        objectId: 'e0000000-0000-4000-8000-0000000000b1',
        tenantId: state.tenantId,
        role: 'owner',
      },
    })
  })

  it('answers 401 once the token expires on the injected clock', async () => {
    const { state, tokenFor, advance } = await setup()
    const header = `Bearer ${await tokenFor(OWNER)}`
    advance(3598_000)
    expect((await authorizeRequest(header, state, DATA_ACTIONS.generateToken)).ok).toBe(true)
    advance(2_000)
    const result = await authorizeRequest(header, state, DATA_ACTIONS.generateToken)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.response.status).toBe(401)
    expect(await result.response.json()).toEqual({
      code: 'Error.Unauthorized',
      message: 'The access token is expired.',
    })
  })

  it('answers 401 for a token that is not yet valid', async () => {
    const { state, tokenFor, advance } = await setup()
    const token = await tokenFor(OWNER)
    advance(-60_000)
    const result = await authorizeRequest(`Bearer ${token}`, state, DATA_ACTIONS.generateToken)
    expect(result.ok ? 200 : result.response.status).toBe(401)
  })

  it('answers 403 naming the data action for a Reader, and 403 for a deleted app', async () => {
    const { state, tokenFor } = await setup()
    const result = await authorizeRequest(
      `Bearer ${await tokenFor(READER)}`,
      state,
      DATA_ACTIONS.send,
    )
    expect(result.ok ? 200 : result.response.status).toBe(403)
    if (!result.ok)
      expect(((await result.response.json()) as { message: string }).message).toContain(
        DATA_ACTIONS.send,
      )
    const ownerToken = await tokenFor(OWNER)
    state.apps.delete(OWNER)
    const gone = await authorizeRequest(`Bearer ${ownerToken}`, state, DATA_ACTIONS.generateToken)
    expect(gone.ok ? 200 : gone.response.status).toBe(403)
  })

  it('grants Reader only read data actions', () => {
    expect(roleGrants('reader', 'Microsoft.SignalRService/WebPubSub/hubs/read')).toBe(true)
    expect(roleGrants('reader', DATA_ACTIONS.generateToken)).toBe(false)
    expect(roleGrants('owner', DATA_ACTIONS.closeConnections)).toBe(true)
    expect(roleGrants('none', 'Microsoft.SignalRService/WebPubSub/hubs/read')).toBe(false)
  })
})

describe('custom roles (role definitions, as deploy/roles has them)', () => {
  const custom = (dataActions: string[], notDataActions: string[] = []) => {
    const parsed = parseRole({
      Name: 'test',
      DataActions: dataActions,
      NotDataActions: notDataActions,
    })
    if ('problem' in parsed) throw new Error(parsed.problem)
    return parsed.role
  }

  it('grants exactly the data actions named, case-insensitively', () => {
    const role = custom([DATA_ACTIONS.generateToken.toUpperCase()])
    expect(roleGrants(role, DATA_ACTIONS.generateToken)).toBe(true)
    expect(roleGrants(role, DATA_ACTIONS.closeConnections)).toBe(false)
    expect(roleGrants(role, DATA_ACTIONS.send)).toBe(false)
  })

  it('reads * as any text, minus NotDataActions', () => {
    const role = custom(['Microsoft.SignalRService/WebPubSub/*'], [DATA_ACTIONS.send])
    expect(roleGrants(role, DATA_ACTIONS.generateToken)).toBe(true)
    expect(roleGrants(role, DATA_ACTIONS.closeConnections)).toBe(true)
    expect(roleGrants(role, DATA_ACTIONS.send)).toBe(false)
    // `.` is literal: a look-alike action is not matched.
    expect(roleGrants(custom(['a.b']), 'aXb')).toBe(false)
  })

  it('refuses what is not a role', () => {
    for (const value of [
      'admin',
      42,
      null,
      { Name: '' },
      { Name: 'x', DataActions: 'y' },
      { Name: 'x', DataActions: [], NotDataActions: [1] },
    ]) {
      expect(parseRole(value)).toHaveProperty('problem')
    }
    expect(parseRole('owner')).toEqual({ role: 'owner' })
  })
})
