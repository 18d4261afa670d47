// Control routes that shape one resource's answers: queued faults, chaos rules, latency.
import { Hono } from 'hono'
import type { AppEnv } from '../http/context'
import { isRouteName, type RouteName } from '../lib/route-names'
import type { FaultKind, ResourceState } from '../state'
import { parseChaosRequest } from './chaos'
import { badRequest, readJson } from './json'

const FAULT_KINDS: readonly FaultKind[] = ['status', 'hang', 'malformed', 'empty']

/**
 * `POST /faults`, `/chaos`, `/latency` acting on `state`. `serves` tells the routes this origin
 * answers: a further resource serves only the data plane, and a fault on a route it never sees
 * would wait forever, so it is refused.
 */
export function faultRoutes(
  state: ResourceState,
  serves: (route: RouteName) => boolean = () => true,
): Hono<AppEnv> {
  const control = new Hono<AppEnv>()
  const unknownRoute = (route: unknown) =>
    badRequest(
      isRouteName(route)
        ? `route ${route} is not served on this origin`
        : `unknown route ${JSON.stringify(route)}`,
    )

  control.post('/faults', async (c) => {
    const body = await readJson(c.req.raw)
    const { route, kind, status, retryAfterSeconds, times = 1 } = body
    if (!isRouteName(route) || !serves(route)) return unknownRoute(route)
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
    if (!serves(route)) return unknownRoute(route)
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
    if (!isRouteName(route) || !serves(route)) return unknownRoute(route)
    if (!(typeof ms === 'number' && ms >= 0)) return badRequest('ms must be a number ≥ 0')
    state.latencyMs.set(route, ms)
    return c.json({ route, ms }, 200)
  })

  return control
}
