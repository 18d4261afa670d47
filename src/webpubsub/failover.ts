// Failover across Web PubSub resources: which one issues a token, trying the next on a retryable failure.
//
// Microsoft's disaster-recovery guidance for Web PubSub is to run resources in more than one
// region and hand each client a healthy one ("Resiliency and disaster recovery in Azure Web
// PubSub Service"). Resources are tried in order of preference, skipping those whose breaker is
// open (resource-health.ts); a retryable failure (5xx, timeout, network, 429) moves on to the next
// within the same negotiation budget, so the client still gets a token. Probes of open resources
// run in the background (waitUntil), never on a request's path. With one resource nothing here
// runs: the negotiation is exactly the single-resource one.
import type { KvLike } from '../cache/encrypted-kv'
import { NegotiatorError } from '../errors'
import type { Now } from '../lib/clock'
import { probeHealth } from './health-probe'
import { createResourceHealth, type ResourceHealth } from './resource-health'
import {
  readSharedHealth,
  SHARED_HEALTH_MAX_AGE_MS,
  writeSharedHealth,
  type SharedHealth,
} from './shared-health'

/** An isolate re-reads the cron's shared view at most this often (in the background). */
export const SHARED_HEALTH_REFRESH_MS = 60_000

const ONLY_PRIMARY: readonly number[] = Object.freeze([0])

export interface FailoverOptions {
  endpoints: readonly string[]
  /** Entra mode: Auth API answers feed the breakers. Access-key mode: probes only. */
  passive: boolean
  fetch: typeof fetch
  now: Now
  kv?: KvLike
  log: (event: string, fields: Record<string, unknown>) => void
}

export interface Failover {
  readonly endpoints: readonly string[]
  /** Undefined with one resource. */
  readonly health: ResourceHealth | undefined
  /** Resources to try, in order; empty when every one is down. */
  order(): readonly number[]
  /** Starts due probes and the periodic shared-health read, in the background. */
  maintain(waitUntil: (promise: Promise<unknown>) => void): void
  /** Applies the cron's shared view from KV (a new isolate, before its first negotiation). */
  loadShared(): Promise<void>
  /** The cron: probes every resource now and shares the outcome through KV. */
  probeAll(): Promise<SharedHealth>
}

export function createFailover(options: FailoverOptions): Failover {
  const { endpoints, fetch, now, kv, log } = options
  const health =
    endpoints.length > 1
      ? createResourceHealth({ endpoints, now, passive: options.passive })
      : undefined
  let sharedReadAtMs = Number.NEGATIVE_INFINITY

  const probe = async (index: number): Promise<boolean> => {
    const healthy = await probeHealth(endpoints[index]!, fetch)
    const before = health?.status()[index]?.state
    health?.recordProbe(index, healthy)
    const after = health?.status()[index]?.state
    if (before !== after)
      log('resource_health_changed', { resource: index, from: before, to: after })
    return healthy
  }

  const loadShared = async (): Promise<void> => {
    if (health === undefined || kv === undefined) return
    sharedReadAtMs = now()
    let shared: SharedHealth | undefined
    try {
      shared = await readSharedHealth(kv)
    } catch (error) {
      log('shared_health_unreadable', { cause: error instanceof Error ? error.name : 'unknown' })
      return
    }
    if (shared === undefined || now() - shared.checkedAtMs > SHARED_HEALTH_MAX_AGE_MS) return
    for (const entry of shared.resources) {
      const index = endpoints.indexOf(entry.endpoint)
      if (index !== -1) health.recordProbe(index, entry.healthy, { atMs: shared.checkedAtMs })
    }
  }

  return {
    endpoints,
    health,
    order: () => health?.available() ?? ONLY_PRIMARY,
    maintain(waitUntil) {
      if (health === undefined) return
      for (const index of health.takeDueProbes()) waitUntil(probe(index))
      if (kv !== undefined && now() - sharedReadAtMs >= SHARED_HEALTH_REFRESH_MS) {
        waitUntil(loadShared())
      }
    },
    loadShared,
    async probeAll() {
      const checkedAtMs = now()
      const results = await Promise.all(endpoints.map((_, index) => probe(index)))
      const shared: SharedHealth = {
        checkedAtMs,
        resources: endpoints.map((endpoint, index) => ({ endpoint, healthy: results[index]! })),
      }
      if (kv !== undefined && health !== undefined) await writeSharedHealth(kv, shared)
      return shared
    },
  }
}

/** Failures of one resource that another may not share: worth trying the next one. */
export function isResourceFailure(error: unknown): error is NegotiatorError {
  return (
    error instanceof NegotiatorError &&
    (error.code === 'webpubsub_unavailable' ||
      error.code === 'webpubsub_throttled' ||
      error.code === 'webpubsub_unexpected_response')
  )
}

export interface AttemptBudget {
  /** This resource's share of the negotiation's budget. */
  deadlineMs: number
  /** False while other resources remain: make one attempt, then move on rather than retry. */
  last: boolean
}

/**
 * Issues from the first resource that can. Each resource but the last gets an equal share of the
 * time left; the last gets all of it, with the usual retries. When all are down (every breaker
 * open, or each one tried failed), a 503 `webpubsub_unavailable` with Retry-After, in budget.
 */
export async function issueWithFailover<T>(
  failover: Failover,
  deps: { now: Now; deadlineMs: number; log: (event: Record<string, unknown>) => void },
  issue: (index: number, budget: AttemptBudget) => Promise<T>,
): Promise<T> {
  const order = failover.order()
  let lastError: NegotiatorError | undefined
  for (let n = 0; n < order.length; n++) {
    const index = order[n]!
    const remaining = order.length - n
    const startMs = deps.now()
    const last = remaining === 1
    const deadlineMs = last ? deps.deadlineMs : startMs + (deps.deadlineMs - startMs) / remaining
    try {
      return await issue(index, { deadlineMs, last })
    } catch (error) {
      if (failover.health === undefined || !isResourceFailure(error)) throw error
      lastError = error
      deps.log({ event: 'resource_failed', resource: index, code: error.code, last })
      if (deps.now() >= deps.deadlineMs) break
    }
  }
  const health = failover.health
  const retryAfterSeconds = lastError?.retryAfterSeconds ?? health?.retryAfterSeconds() ?? 1
  throw new NegotiatorError('webpubsub_unavailable', {
    detail:
      `No Web PubSub resource can issue a client token now (${failover.endpoints.length} ` +
      `configured, ${lastError === undefined ? 'all marked down' : 'each one tried failed'}); ` +
      'retry after the indicated time.',
    upstream: lastError?.upstream ?? { service: 'webpubsub' },
    retryAfterSeconds,
    cause: lastError,
  })
}
