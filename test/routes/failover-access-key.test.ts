// Failover in access-key mode: each resource signs with its own key; health comes from probes only.
import { jwtVerify } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { IDLE_PROBE_INTERVAL_MS } from '../../src/webpubsub/resource-health'
import { emulator, emulatorSecondaryUrl, emulatorUrl, resourceControl } from '../support/emulator'
import { accessKeyHarness } from '../support/access-key-harness'

beforeEach(() => emulator.reset())

const KEY_1 = 'PrimaryKeyForFailover0123456789abcdefABCD='
const KEY_2 = 'SecondaryKeyForFailover0123456789abcdefAB='

const keyModeHarness = () =>
  accessKeyHarness({
    WEBPUBSUB_CONNECTION_STRING: `Endpoint=${emulatorUrl()};AccessKey=${KEY_1};Version=1.0;`,
    WEBPUBSUB_SECONDARY_CONNECTION_STRINGS: `Endpoint=${emulatorSecondaryUrl()};AccessKey=${KEY_2};Version=1.0;`,
  })

async function negotiate(h: Awaited<ReturnType<typeof keyModeHarness>>['h']) {
  const response = await h.request('/negotiate?hub=chat')
  expect(response.status).toBe(200)
  return (await response.json()) as { baseUrl: string; token: string }
}

describe('failover in access-key mode', () => {
  it('signs for the first healthy resource with that resource key, probing in the background', async () => {
    const { h, upstream } = await keyModeHarness()
    await resourceControl(emulatorUrl()).outage(true)
    // The first negotiation knows nothing yet: it signs for the primary and starts the probes.
    const first = await negotiate(h)
    expect(first.baseUrl.startsWith(emulatorUrl().replace('http', 'ws'))).toBe(true)
    expect(upstream.sort()).toEqual(
      [`${emulatorSecondaryUrl()}/api/health`, `${emulatorUrl()}/api/health`].sort(),
    )
    // The probes found the primary down: from now on tokens are the secondary's, signed with its key.
    for (let i = 0; i < 3; i++) {
      const body = await negotiate(h)
      expect(body.baseUrl).toBe(`${emulatorSecondaryUrl().replace('http', 'ws')}/client/hubs/chat`)
      await jwtVerify(body.token, new TextEncoder().encode(KEY_2), {
        audience: `${emulatorSecondaryUrl()}/client/hubs/chat`,
        currentDate: new Date(h.now()),
      })
      await expect(
        jwtVerify(body.token, new TextEncoder().encode(KEY_1), { currentDate: new Date(h.now()) }),
      ).rejects.toThrow()
    }
    // No further probes until the open time or the idle interval is over: none on the hot path.
    expect(upstream).toHaveLength(2)
    await resourceControl(emulatorUrl()).outage(false)
    h.advance(IDLE_PROBE_INTERVAL_MS)
    await negotiate(h)
    const back = await negotiate(h)
    expect(back.baseUrl).toBe(`${emulatorUrl().replace('http', 'ws')}/client/hubs/chat`)
  })
})
