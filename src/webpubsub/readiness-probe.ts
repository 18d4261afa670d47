// /readyz's Auth API probe: one client token for a probe user, at most every few minutes per isolate, never on /negotiate.
//
// An Entra token alone proves little: with the Reader role, or a scope of another cloud, every
// negotiation fails while Entra hands out tokens gladly. The probe asks the Auth API for a
// token as a negotiation would, and remembers the outcome: a success for
// PROBE_OK_TTL_MS, a failure for PROBE_FAILURE_TTL_MS (a new role assignment can take up to 30
// minutes to apply, so a failing probe is repeated, not kept). The token is never handed out.
import {
  releaseLease,
  takeLease,
  FIRST_POLL_MS,
  nextPollMs,
  type LeaseHolder,
} from '../cache/lease'
import { NegotiatorError } from '../errors'
import type { Now, Sleep } from '../lib/clock'
import { issueClientAccess, type EntraIssueDeps } from './issue-access'

/** The user id of the probe's token; never a caller's, since callers' ids come from policy. */
export const PROBE_USER_ID = 'webpubsub-negotiator-readiness-probe'
export const PROBE_OK_TTL_MS = 5 * 60_000
export const PROBE_FAILURE_TTL_MS = 30_000

export interface ProbeOutcome {
  /** When the probe finished (epoch ms). */
  atMs: number
  /** Undefined when a client token was issued. */
  error?: unknown
}

export interface ProbeResult extends ProbeOutcome {
  /** True when the outcome is a remembered one, not this request's own probe. */
  cached: boolean
}

/** What a probe needs; `endpoint` is the resource negotiations would use now. */
export type ProbeDeps = Omit<EntraIssueDeps, 'reuse' | 'timing'> & { endpoint: string }

export interface AuthApiProbe {
  /** The last outcome while it is fresh, else a new probe (one at a time per isolate). */
  check(deps: ProbeDeps): Promise<ProbeResult>
}

export function createAuthApiProbe(options: {
  hub: string
  minutesToExpire: number
  now: Now
  sleep: Sleep
}): AuthApiProbe {
  const { now, sleep } = options
  const slot: LeaseHolder & { outcome?: ProbeOutcome } = {}
  let leaseIds = 0

  const fresh = (atMs: number): ProbeOutcome | undefined => {
    const outcome = slot.outcome
    if (outcome === undefined) return undefined
    const ttl = outcome.error === undefined ? PROBE_OK_TTL_MS : PROBE_FAILURE_TTL_MS
    return atMs - outcome.atMs < ttl ? outcome : undefined
  }

  return {
    async check(deps) {
      let waitMs = FIRST_POLL_MS
      for (;;) {
        const atMs = now()
        const known = fresh(atMs)
        if (known !== undefined) return { ...known, cached: true }
        const leaseId = takeLease(slot, () => (leaseIds += 1), atMs, deps.deadlineMs)
        if (leaseId !== undefined) {
          try {
            const outcome = await probe(deps)
            slot.outcome = outcome
            return { ...outcome, cached: false }
          } finally {
            releaseLease(slot, leaseId)
          }
        }
        // Another request is probing: its outcome is as good as ours, and costs nothing.
        if (slot.outcome !== undefined) return { ...slot.outcome, cached: true }
        if (now() + waitMs > deps.deadlineMs) {
          throw new NegotiatorError('webpubsub_unavailable', {
            detail: 'The readiness probe of the Auth API did not finish in time; retry shortly.',
            upstream: { service: 'webpubsub' },
          })
        }
        await sleep(waitMs)
        waitMs = nextPollMs(waitMs)
      }
    },
  }

  async function probe(deps: ProbeDeps): Promise<ProbeOutcome> {
    try {
      await issueClientAccess(
        {
          endpoint: deps.endpoint,
          hub: options.hub,
          protocol: 'default',
          userId: PROBE_USER_ID,
          roles: [],
          groups: [],
          // A negotiation's lifetime: the probe is a negotiation in all but its user, and a token
          // as long as theirs is not mistaken for an expired one when clocks differ a little.
          minutesToExpire: options.minutesToExpire,
        },
        deps,
      )
      return { atMs: now() }
    } catch (error) {
      return { atMs: now(), error }
    }
  }
}
