// Several Web PubSub resources: own ports, counters and faults; resource 0 is the main origin.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../emulator/config'
import { startEmulator } from '../../emulator/index'
import { controlAt, generateTokenAt, secretToken, useEmulator } from './helpers'

const routesAt = async (origin: { url: string }) =>
  ((await (await controlAt(origin, '/counters')).json()) as { routes: Record<string, number> })
    .routes

/** GET over https trusting only `ca`; rejects when the certificate is not trusted. */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, rejectUnauthorized: true }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('several resources', () => {
  it('runs one resource by default: resources[0] is the main origin', async () => {
    const emulator = await useEmulator()
    expect(emulator.resources).toHaveLength(1)
    const [main] = emulator.resources
    expect(main).toMatchObject({ index: 0, url: emulator.url, port: emulator.port })
    expect(main?.state).toBe(emulator.state)
    expect(main?.clientService).toBe(emulator.clientService)
    expect(emulator.demo.endpoints).toEqual([emulator.url])
    expect(emulator.demo.connectionStrings).toBeUndefined()
  })

  it('listens on one port per resource, same host and scheme, listed in demo.endpoints', async () => {
    const emulator = await useEmulator({ resources: 3 })
    const urls = emulator.resources.map((r) => r.url)
    expect(urls[0]).toBe(emulator.url)
    expect(new Set(urls).size).toBe(3)
    for (const [i, resource] of emulator.resources.entries()) {
      expect(resource.index).toBe(i)
      expect(resource.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(resource.url).toBe(`http://127.0.0.1:${resource.port}`)
    }
    expect(emulator.demo.endpoints).toEqual(urls)
    expect(emulator.demo.endpoint).toBe(emulator.url)
  })

  it('serves every resource over https with the one certificate in caCertPath', async () => {
    const tlsDir = await mkdtemp(join(tmpdir(), 'emulator-resources-tls-'))
    const emulator = await useEmulator({ resources: 2, tls: true, tlsDir })
    const ca = await readFile(emulator.caCertPath!, 'utf8')
    for (const resource of emulator.resources) {
      expect(resource.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(await httpsStatus(`${resource.url}/api/health`, ca)).toBe(200)
    }
    expect(emulator.demo.endpoints[1]).toBe(emulator.resources[1]!.url)
  })

  it('refuses a resource count outside 1–5', async () => {
    await expect(startEmulator({ quiet: true, resources: 0 })).rejects.toThrow(/resources/)
    await expect(startEmulator({ quiet: true, resources: 6 })).rejects.toThrow(/resources/)
    await expect(startEmulator({ quiet: true, resources: 1.5 })).rejects.toThrow(/resources/)
  })

  it('takes the count from the config file, and validates it there', async () => {
    expect(() => parseConfig({ resources: 9 })).toThrow(/resources must be an integer 1–5/)
    expect(parseConfig({ resources: 2 }).resources).toBe(2)
    const dir = await mkdtemp(join(tmpdir(), 'emulator-resources-'))
    const file = join(dir, 'config.json')
    await writeFile(file, JSON.stringify({ resources: 2 }))
    expect((await useEmulator({ configFile: file })).resources).toHaveLength(2)
    expect((await useEmulator({ configFile: file, resources: 3 })).resources).toHaveLength(3)
  })

  it('serves /api/health per resource, but Entra only on the main origin', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    for (const resource of [main!, second!]) {
      expect((await fetch(`${resource.url}/api/health`)).status).toBe(200)
      expect((await fetch(`${resource.url}/api/health`, { method: 'HEAD' })).status).toBe(200)
    }
    const discovery = `/${emulator.demo.tenantId}/v2.0/.well-known/openid-configuration`
    expect((await fetch(`${main!.url}${discovery}`)).status).toBe(200)
    expect((await fetch(`${second!.url}${discovery}`)).status).toBe(404)
    expect((await fetch(`${second!.url}/oidc/jwks`)).status).toBe(404)
    expect((await controlAt(second!, '/credentials')).status).toBe(404)
  })

  it('counts each resource separately', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const token = await secretToken(emulator)
    await fetch(`${second!.url}/api/health`)
    await fetch(`${second!.url}/api/health`)
    expect((await generateTokenAt(second!, token)).status).toBe(200)
    expect((await generateTokenAt(main!, token)).status).toBe(200)

    expect(await routesAt(second!)).toEqual({
      'webpubsub.generateToken': 1,
      'webpubsub.health': 2,
      'webpubsub.closeConnections': 0,
      'webpubsub.sendToGroup': 0,
    })
    expect(await routesAt(main!)).toMatchObject({
      'entra.token': 1,
      'webpubsub.generateToken': 1,
      'webpubsub.health': 0,
    })
    expect(second!.state.counters['webpubsub.health']).toBe(2)
    expect(emulator.state.counters['webpubsub.health']).toBe(0)
  })

  it('applies a fault on resource 1 to resource 1 only', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const token = await secretToken(emulator)
    const queued = await controlAt(second!, '/faults', 'POST', {
      route: 'webpubsub.generateToken',
      kind: 'status',
      status: 503,
      retryAfterSeconds: 2,
      times: 2,
    })
    expect(await queued.json()).toEqual({ route: 'webpubsub.generateToken', queued: 1 })

    expect((await generateTokenAt(main!, token)).status).toBe(200)
    const faulted = await generateTokenAt(second!, token)
    expect(faulted.status).toBe(503)
    expect(faulted.headers.get('retry-after')).toBe('2')
    expect((await generateTokenAt(main!, token)).status).toBe(200)
    expect((await generateTokenAt(second!, token)).status).toBe(503)
    expect((await generateTokenAt(second!, token)).status).toBe(200)

    const counts = async (origin: { url: string }) =>
      ((await (await controlAt(origin, '/counters')).json()) as { faults: unknown }).faults
    expect(await counts(second!)).toEqual({ 'webpubsub.generateToken': { 'status:503': 2 } })
    expect(await counts(main!)).toEqual({})
  })

  it('keeps chaos and latency per resource, and refuses routes a resource does not serve', async () => {
    const emulator = await useEmulator({ resources: 2 })
    const [main, second] = emulator.resources
    const chaos = await controlAt(second!, '/chaos', 'POST', {
      route: 'webpubsub.health',
      rate: 1,
      faults: [{ kind: 'status', status: 502 }],
    })
    expect(chaos.status).toBe(200)
    expect(
      (await controlAt(second!, '/latency', 'POST', { route: 'webpubsub.health', ms: 5 })).status,
    ).toBe(200)
    expect((await fetch(`${second!.url}/api/health`)).status).toBe(502)
    expect((await fetch(`${main!.url}/api/health`)).status).toBe(200)
    expect(second!.state.latencyMs.get('webpubsub.health')).toBe(5)
    expect(emulator.state.latencyMs.get('webpubsub.health')).toBeUndefined()

    const entraFault = await controlAt(second!, '/faults', 'POST', {
      route: 'entra.token',
      kind: 'status',
      status: 500,
    })
    expect(entraFault.status).toBe(400)
    expect(await entraFault.json()).toEqual({
      error: 'route entra.token is not served on this origin',
    })
    // The main origin still takes Entra faults, as before.
    const mainFault = await controlAt(main!, '/faults', 'POST', {
      route: 'entra.token',
      kind: 'status',
      status: 500,
    })
    expect(mainFault.status).toBe(200)
  })
})
