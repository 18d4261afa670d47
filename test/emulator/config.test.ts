// The config file: the shipped example loads and takes effect; every problem is reported at once.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../emulator/config'
import { SCOPE, claimsOf, entraErrorOf, postForm, tokenUrl, useEmulator } from './helpers'

const EXAMPLE = join(import.meta.dirname, '../../emulator/emulator.config.example.json')

describe('emulator config', () => {
  it('loads the shipped example: extra app, role assignment, latency', async () => {
    const emulator = await useEmulator({ configFile: EXAMPLE })
    const form = {
      grant_type: 'client_credentials',
      client_id: 'c0ffee00-0000-4000-8000-000000000001',
      scope: SCOPE,
    }
    const ok = await postForm(tokenUrl(emulator), {
      ...form,
      client_secret: 'my-local-secret-value',
    })
    expect(ok.status).toBe(200)
    expect(claimsOf(((await ok.json()) as { access_token: string }).access_token).oid).toBe(
      'c0ffee00-0000-4000-8000-0000000000f1',
    )
    const expired = await postForm(tokenUrl(emulator), {
      ...form,
      client_secret: 'my-old-secret-value',
    })
    expect((await entraErrorOf(expired)).error_codes).toEqual([7000222])
    expect(emulator.demo.apps.noRole.role).toBe('reader')
    expect(emulator.state.latencyMs.get('entra.token')).toBe(40)
  })

  it('uses a custom tenant id for paths, issuer and credentials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-config-'))
    const file = join(dir, 'config.json')
    const tenantId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
    await writeFile(
      file,
      JSON.stringify({ tenantId, tenantDomains: [], settings: { entraRefreshInSeconds: 1800 } }),
    )
    const emulator = await useEmulator({ configFile: file })
    expect(emulator.demo.tenantId).toBe(tenantId)
    const app = emulator.demo.apps.ownerSecret
    const res = await postForm(tokenUrl(emulator), {
      grant_type: 'client_credentials',
      client_id: app.clientId,
      client_secret: app.clientSecret!,
      scope: SCOPE,
    })
    const body = (await res.json()) as { access_token: string; refresh_in: number }
    expect(body.refresh_in).toBe(1800)
    expect(claimsOf(body.access_token).iss).toBe(`https://sts.windows.net/${tenantId}/`)
    const old = await postForm(tokenUrl(emulator, 'e0000000-0000-4000-8000-000000000001'), {})
    expect((await entraErrorOf(old)).error_codes).toEqual([90002])
  })

  it('reports every problem at once', () => {
    expect(() =>
      parseConfig({
        tenantId: 7,
        apps: [{ role: 'owner' }],
        roleAssignments: { x: 'admin' },
        latencyMs: { 'entra.nope': 5 },
        settings: { entraTokenLifetimeSeconds: -1 },
      }),
    ).toThrow(
      /tenantId must be a string; apps\[0\]\.clientId must be a string; roleAssignments\.x must be one of owner, reader, none or a role definition; latencyMs\.entra\.nope.*; entraTokenLifetimeSeconds must be an integer ≥ 1/,
    )
  })
})
