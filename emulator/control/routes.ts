// The main origin's control API under `/_emulator`: credentials, counters, reset, faults, settings, apps.
import { randomBytes, randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { applySettings } from '../config'
import { parseRole, roleName } from '../roles'
import type { ClientService } from '../client/index'
import type { AppEnv } from '../http/context'
import { readCertificate } from '../lib/pem'
import type { EmulatorState } from '../state'
import type { DemoCredentials } from '../types'
import { faultRoutes } from './fault-routes'
import { badRequest, readJson } from './json'
import { resourceRoutes } from './resource-routes'

export function controlRoutes(
  state: EmulatorState,
  credentials: () => DemoCredentials,
  clientService?: ClientService,
  otherClientServices: readonly ClientService[] = [],
): Hono<AppEnv> {
  const control = new Hono<AppEnv>()

  control.get('/credentials', (c) => c.json(credentials()))
  control.get('/counters', (c) =>
    c.json({
      routes: { ...state.counters },
      faults: Object.fromEntries(
        [...state.faultCounts].map(([route, counts]) => [route, { ...counts }]),
      ),
      websocket: clientService?.counters(),
    }),
  )
  // Resets every resource: state.reset() resets the others' states, here their client counters.
  control.post('/reset', (c) => {
    state.reset()
    clientService?.reset()
    for (const other of otherClientServices) other.reset()
    return c.body(null, 204)
  })

  // Old tokens then name a kid the JWKS no longer has, as after a real IdP's key rotation.
  control.post('/oidc/rotate', async (c) => c.json({ kids: await state.oidcKeys.rotate() }, 200))

  // Faults, chaos and latency of resource 0 and Entra; outage and role overrides of resource 0.
  control.route('/', faultRoutes(state))
  control.route('/', resourceRoutes(state))

  control.patch('/settings', async (c) => {
    const problem = applySettings(state.settings, await readJson(c.req.raw))
    if (problem) return badRequest(problem)
    return c.json(state.settings, 200)
  })

  control.put('/role-assignments', async (c) => {
    const { clientId, role: raw } = await readJson(c.req.raw)
    if (typeof clientId !== 'string' || !state.apps.has(clientId))
      return badRequest('clientId names no registered app')
    const parsed = parseRole(raw)
    if ('problem' in parsed) return badRequest(`role ${parsed.problem}`)
    state.roleAssignments.set(clientId, parsed.role)
    return c.json({ clientId, role: roleName(parsed.role) }, 200)
  })

  control.post('/apps', async (c) => {
    const { role: raw, secret, certificatePem } = await readJson(c.req.raw)
    const parsed = parseRole(raw)
    if ('problem' in parsed) return badRequest(`role ${parsed.problem}`)
    const role = parsed.role
    if (secret !== undefined && (typeof secret !== 'string' || secret === ''))
      return badRequest('secret must be a non-empty string')
    let certificate
    if (certificatePem !== undefined) {
      try {
        certificate = readCertificate(String(certificatePem))
      } catch (error) {
        return badRequest(`certificatePem: ${(error as Error).message}`)
      }
    }
    // An app without any credential could never sign in: give it a generated secret.
    const clientSecret =
      typeof secret === 'string'
        ? secret
        : certificate
          ? undefined
          : `emu8Q~${randomBytes(26).toString('base64url')}`
    const clientId = randomUUID()
    state.apps.set(clientId, {
      clientId,
      objectId: randomUUID(),
      displayName: `control-${clientId.slice(0, 8)}`,
      secrets: clientSecret === undefined ? [] : [{ value: clientSecret, expired: false }],
      certificates: certificate ? [certificate] : [],
    })
    state.roleAssignments.set(clientId, role)
    return c.json(clientSecret === undefined ? { clientId } : { clientId, clientSecret }, 201)
  })

  return control
}
