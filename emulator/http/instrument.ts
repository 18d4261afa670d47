// Per-route instrumentation: counts every request, then applies configured latency, queued faults and chaos.
import type { Handler } from 'hono'
import { entraError } from '../entra/errors'
import type { RouteName } from '../lib/route-names'
import { sleep } from '../lib/sleep'
import type { InjectedFault, QueuedFault, ResourceState } from '../state'
import { webPubSubError } from '../webpubsub/errors'
import type { AppContext, AppEnv } from './context'

/**
 * Wraps a route handler: count, then an outage (Web PubSub routes of a resource switched down),
 * then latency, then a queued fault, else maybe a chaos fault, else the handler itself. Queued
 * faults go first so a test that queues one gets it whatever the chaos.
 */
export function instrumented(
  state: ResourceState,
  route: RouteName,
  handler: Handler<AppEnv>,
): Handler<AppEnv> {
  return async (c, next) => {
    state.counters[route] += 1
    // Entra is another service: a Web PubSub resource's outage leaves it up.
    if (state.down && route.startsWith('webpubsub.')) return outage()
    const latency = state.latencyMs.get(route) ?? 0
    if (latency > 0) await sleep(latency, c.req.raw.signal, state.closing.signal)
    const fault = takeFault(state, route) ?? drawChaosFault(state, route)
    if (fault === undefined) return handler(c, next)
    countFault(state, route, fault)
    switch (fault.kind) {
      case 'latency':
        // A spike, not a failure: the real answer follows, late.
        await sleep(fault.ms ?? 0, c.req.raw.signal, state.closing.signal)
        return handler(c, next)
      case 'status':
        return statusFault(c, state, route, fault)
      case 'hang':
        // Never answers: the socket ends when the client gives up or the emulator closes.
        await sleep(Infinity, c.req.raw.signal, state.closing.signal)
        return c.body(null, 503)
      case 'malformed':
        // A body cut short mid-way, as a dropped proxy connection leaves it: valid start, no end.
        return c.body(
          route.startsWith('entra.') ? '{"token_type":"Bearer","access_tok' : '{"tok',
          200,
          {
            'content-type': 'application/json',
          },
        )
      case 'empty':
        return c.json({}, 200)
    }
  }
}

function takeFault(state: ResourceState, route: RouteName): QueuedFault | undefined {
  const queue = state.faults.get(route)
  const fault = queue?.[0]
  if (queue === undefined || fault === undefined) return undefined
  if (fault.remaining > 0) {
    fault.remaining -= 1
    if (fault.remaining === 0) queue.shift()
  }
  return fault
}

/** One draw against the rate, a second to pick by weight: the same seed replays the same faults. */
function drawChaosFault(state: ResourceState, route: RouteName): InjectedFault | undefined {
  const rule = state.chaos.get(route)
  if (rule === undefined || !(rule.random() < rule.rate)) return undefined
  const total = rule.faults.reduce((sum, fault) => sum + fault.weight, 0)
  let pick = rule.random() * total
  for (const fault of rule.faults) {
    pick -= fault.weight
    if (pick < 0) return fault
  }
  // Floating-point rounding can leave pick at 0 after the last weight: that one was meant.
  return rule.faults[rule.faults.length - 1]
}

/** `status:503`, `latency`, `hang`, …: the keys of the per-route fault counters. */
function faultLabel(fault: InjectedFault): string {
  return fault.kind === 'status' ? `status:${fault.status ?? DEFAULT_FAULT_STATUS}` : fault.kind
}

function countFault(state: ResourceState, route: RouteName, fault: InjectedFault): void {
  const counts = state.faultCounts.get(route) ?? {}
  const label = faultLabel(fault)
  counts[label] = (counts[label] ?? 0) + 1
  state.faultCounts.set(route, counts)
}

const DEFAULT_FAULT_STATUS = 503

const WEBPUBSUB_STATUS_CODES: Record<number, string> = {
  400: 'Error.BadRequest',
  401: 'Error.Unauthorized',
  403: 'Error.Forbidden',
  404: 'Error.NotFound',
  429: 'Error.TooManyRequests',
  500: 'Error.InternalServerError',
  502: 'Error.BadGateway',
  503: 'Error.ServiceUnavailable',
  504: 'Error.GatewayTimeout',
}

function statusFault(
  c: AppContext,
  state: ResourceState,
  route: RouteName,
  fault: InjectedFault,
): Response {
  const status = fault.status ?? DEFAULT_FAULT_STATUS
  const headers: Record<string, string> =
    fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }
  if (route.startsWith('entra.')) {
    // Unverified: Entra's throttling/incident bodies are not documented; AADSTS90033 is its
    // "transient error, try again" code, `temporarily_unavailable` the RFC 6749 error for it.
    const transient = status === 429 || status >= 500
    return entraError(
      c,
      {
        status,
        error: transient ? 'temporarily_unavailable' : 'invalid_request',
        code: 90033,
        message: 'A transient error has occurred. Please try again.',
      },
      state.now(),
      headers,
    )
  }
  // Unverified: the codes Web PubSub uses for throttling and outages; named after the status.
  const code = WEBPUBSUB_STATUS_CODES[status] ?? `Error.Status${status}`
  return webPubSubError(status, code, `Injected fault: HTTP ${status}.`, { headers })
}

/** Unverified: what Azure answers while a resource is down; a 503 is what a gateway in front says. */
function outage(): Response {
  return webPubSubError(
    503,
    'Error.ServiceUnavailable',
    'The Web PubSub resource is unavailable (emulated outage).',
  )
}
