// The control API under `/_emulator`: credentials, counters, reset, faults, chaos, latency, settings, apps.
import { randomBytes, randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { applySettings } from '../config'
import { parseRole, roleName } from '../roles'
import type { ClientService } from '../client/index'
import type { AppEnv } from '../http/context'
import { readCertificate } from '../lib/pem'
import { isRouteName } from '../lib/route-names'
import { parseChaosRequest } from './chaos'
import type { EmulatorState, FaultKind } from '../state'
import type { DemoCredentials } from '../types'

const FAULT_KINDS: readonly FaultKind[] = ['status', 'hang', 'malformed', 'empty']

export function controlRoutes(
  state: EmulatorState,
  credentials: () => DemoCredentials,
  clientService?: ClientService,
): Hono<AppEnv> {
  const control = new Hono<AppEnv>()
  const badRequest = (message: string) => Response.json({ error: message }, { status: 400 })
  const readJson = async (request: Request): Promise<Record<string, unknown>> => {
    const body: unknown = await request.json().catch(() => undefined)
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  }

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
  control.post('/reset', (c) => {
    state.reset()
    clientService?.reset()
    return c.body(null, 204)
  })

  // Old tokens then name a kid the JWKS no longer has, as after a real IdP's key rotation.
  control.post('/oidc/rotate', async (c) => c.json({ kids: await state.oidcKeys.rotate() }, 200))

  control.post('/faults', async (c) => {
    const body = await readJson(c.req.raw)
    const { route, kind, status, retryAfterSeconds, times = 1 } = body
    if (!isRouteName(route)) return badRequest(`unknown route ${JSON.stringify(route)}`)
    if (!FAULT_KINDS.includes(kind as FaultKind))
      return badRequest(`kind must be one of ${FAULT_KINDS.join(', ')}`)
    if (
      kind === 'status' &&
      !(Number.isInteger(status) && (status as number) >= 400 && (status as number) <= 599)
    )
      return badRequest('status faults need an integer status 400–599')
    if (
      retryAfterSeconds !== undefined &&
      !(typeof retryAfterSeconds === 'number' && retryAfterSeconds >= 0)
    )
      return badRequest('retryAfterSeconds must be a number ≥ 0')
    if (!(Number.isInteger(times) && ((times as number) >= 1 || times === -1)))
      return badRequest('times must be an integer ≥ 1, or -1 (until reset)')
    const queue = state.faults.get(route) ?? []
    queue.push({
      kind: kind as FaultKind,
      status: status as number | undefined,
      retryAfterSeconds: retryAfterSeconds as number | undefined,
      remaining: times as number,
    })
    state.faults.set(route, queue)
    return c.json({ route, queued: queue.length }, 200)
  })

  control.post('/chaos', async (c) => {
    const parsed = parseChaosRequest(await readJson(c.req.raw))
    if (!parsed.ok) return badRequest(parsed.problem)
    const { route, rule } = parsed
    if (rule === undefined) {
      state.chaos.delete(route)
      return c.json({ route, rate: 0 }, 200)
    }
    state.chaos.set(route, rule)
    const { rate, faults, seed } = rule
    return c.json({ route, rate, faults, seed }, 200)
  })

  control.post('/latency', async (c) => {
    const { route, ms } = await readJson(c.req.raw)
    if (!isRouteName(route)) return badRequest(`unknown route ${JSON.stringify(route)}`)
    if (!(typeof ms === 'number' && ms >= 0)) return badRequest('ms must be a number ≥ 0')
    state.latencyMs.set(route, ms)
    return c.json({ route, ms }, 200)
  })

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
