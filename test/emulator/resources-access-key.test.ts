// Access-key mode with several resources: one key and connection string per resource.
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { expectRefused, RELIABLE_PROTOCOL, TestClient } from './client-harness'
import { clientUrlAt, useEmulator } from './helpers'

const ACCESS_KEY = 'EmulatorAccessKey0123456789abcdefABCDEFghij='

/** A client token as an app holding a connection string signs it (HS256 with the key's bytes). */
function keyToken(key: string, origin: { url: string }): Promise<string> {
  const nowSeconds = Math.floor(Date.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('key-user')
    .setAudience(`${origin.url}/client/hubs/chat`)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 600)
    .sign(new TextEncoder().encode(key))
}

describe('several resources with an access key', () => {
  it('gives each resource its own key and connection string; index 0 is the given one', async () => {
    const emulator = await useEmulator({ resources: 3, accessKey: ACCESS_KEY })
    const { demo, resources } = emulator
    expect(resources[0]!.accessKey).toBe(ACCESS_KEY)
    expect(demo.connectionStrings).toHaveLength(3)
    expect(demo.connectionStrings![0]).toBe(demo.connectionString)
    for (const [i, resource] of resources.entries()) {
      expect(resource.connectionString).toBe(
        `Endpoint=${resource.url};AccessKey=${resource.accessKey};Version=1.0;`,
      )
      expect(demo.connectionStrings![i]).toBe(resource.connectionString)
      expect(resource.accessKey).toMatch(/^[A-Za-z0-9+/]{43}=$|^EmulatorAccessKey/)
    }
    expect(new Set(resources.map((r) => r.accessKey)).size).toBe(3)
  })

  it('derives the same keys at every start', async () => {
    const one = await useEmulator({ resources: 2, accessKey: ACCESS_KEY })
    const two = await useEmulator({ resources: 2, accessKey: ACCESS_KEY })
    expect(one.resources[1]!.accessKey).toBe(two.resources[1]!.accessKey)
    const other = await useEmulator({ resources: 2, accessKey: 'AnotherKey' })
    expect(other.resources[1]!.accessKey).not.toBe(one.resources[1]!.accessKey)
  })

  it("connects a token signed with resource 1's key at resource 1 only", async () => {
    const emulator = await useEmulator({ resources: 2, accessKey: ACCESS_KEY })
    const [main, second] = emulator.resources
    const key1 = second!.accessKey!

    const client = await TestClient.open(
      clientUrlAt(second!, await keyToken(key1, second!)),
      RELIABLE_PROTOCOL,
    )
    expect(await client.next()).toMatchObject({ event: 'connected', userId: 'key-user' })
    client.ws.close()

    // Resource 0 does not hold resource 1's key, whatever the audience says.
    const atMain = await expectRefused(clientUrlAt(main!, await keyToken(key1, main!)))
    expect(atMain.status).toBe(401)
    expect(atMain.body).toMatch(/signature/)
    // Nor does resource 1 hold resource 0's.
    const atSecond = await expectRefused(clientUrlAt(second!, await keyToken(ACCESS_KEY, second!)))
    expect(atSecond.status).toBe(401)
    expect(atSecond.body).toMatch(/signature/)
  })
})
