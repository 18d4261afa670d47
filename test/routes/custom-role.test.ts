// The least-privilege custom roles in deploy/roles: enough to negotiate, nothing more (the emulator enforces data actions).
import { beforeEach, describe, expect, it } from 'vitest'
import negotiatorRole from '../../deploy/roles/webpubsub-negotiator.json'
import revocationRole from '../../deploy/roles/webpubsub-negotiator-revocation.json'
import { emulator } from '../support/emulator'
import { createHarness, problemOf } from '../support/harness'

beforeEach(() => emulator.reset())

/** A harness signing in as a new app that holds `role` (a role definition) and nothing else. */
async function harnessWithRole(role: { Name: string; DataActions: string[] }) {
  const app = await emulator.registerApp({ role })
  return createHarness({ app: { ...app, role: role.Name } })
}

describe('the custom roles of deploy/roles', () => {
  it.each([
    ['Web PubSub Negotiator', negotiatorRole],
    ['Web PubSub Negotiator with revocation', revocationRole],
  ])('%s can negotiate and pass /readyz', async (_name, role) => {
    const h = await harnessWithRole(role)
    expect((await h.request('/negotiate')).status).toBe(200)
    const ready = (await (await h.request('/readyz')).json()) as { checks: Record<string, string> }
    expect(ready.checks.authApi).toBe('ok')
  })

  it('is refused what its data actions do not name, with the role advice', async () => {
    const h = await harnessWithRole({
      ...negotiatorRole,
      Name: 'Only close connections',
      DataActions: ['Microsoft.SignalRService/WebPubSub/clientConnection/write'],
    })
    const problem = await problemOf(await h.request('/negotiate'))
    expect(problem.code).toBe('webpubsub_forbidden')
    expect(problem.detail).toContain('generateToken/action')
  })

  it('grants exactly :generateToken, and closing connections only with revocation', () => {
    const generate = 'Microsoft.SignalRService/WebPubSub/clientConnection/generateToken/action'
    const close = 'Microsoft.SignalRService/WebPubSub/clientConnection/write'
    expect(negotiatorRole.DataActions).toEqual([generate])
    expect(revocationRole.DataActions).toEqual([generate, close])
    for (const role of [negotiatorRole, revocationRole]) {
      expect(role.Actions).toEqual([])
      expect(role.IsCustom).toBe(true)
    }
  })
})
