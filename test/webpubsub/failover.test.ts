import { describe, expect, it } from 'vitest'
import { NegotiatorError } from '../../src/errors'
import {
  createFailover,
  issueWithFailover,
  SHARED_HEALTH_REFRESH_MS,
  type AttemptBudget,
} from '../../src/webpubsub/failover'
import { ALL_DOWN_PROBE_INTERVAL_MS, FIRST_OPEN_MS } from '../../src/webpubsub/resource-health'
import { SHARED_HEALTH_KEY } from '../../src/webpubsub/shared-health'
import { KvDouble } from '../support/kv-double'

const PRIMARY = 'https://primary.example'
const SECONDARY = 'https://secondary.example'
const THIRD = 'https://third.example'

const unavailable = (retryAfterSeconds?: number) =>
  new NegotiatorError('webpubsub_unavailable', {
    detail: 'Web PubSub answered 503; retry shortly.',
    upstream: { service: 'webpubsub', status: 503 },
    retryAfterSeconds,
  })

function setup(options: { endpoints?: string[]; kv?: KvDouble; healthy?: Set<string> } = {}) {
  let nowMs = Date.UTC(2026, 10, 30)
  const probes: string[] = []
  const logs: { event: string; fields: Record<string, unknown> }[] = []
  const healthy = options.healthy ?? new Set([PRIMARY, SECONDARY, THIRD])
  const failover = createFailover({
    endpoints: options.endpoints ?? [PRIMARY, SECONDARY],
    passive: true,
    now: () => nowMs,
    kv: options.kv,
    fetch: (async (input: RequestInfo | URL) => {
      const url = new URL(String(input))
      probes.push(url.origin + url.pathname)
      return new Response(null, { status: healthy.has(url.origin) ? 200 : 503 })
    }) as typeof fetch,
    log: (event, fields) => logs.push({ event, fields }),
  })
  const background: Promise<unknown>[] = []
  return {
    failover,
    probes,
    logs,
    healthy,
    advance: (ms: number) => {
      nowMs += ms
    },
    now: () => nowMs,
    maintain: async () => {
      failover.maintain((promise) => background.push(promise))
      await Promise.all(background.splice(0))
    },
  }
}

/** An issue function that fails on the listed resources and records each attempt and budget. */
function issuer(failing: Set<number>, error: () => unknown = () => unavailable()) {
  const attempts: { index: number; budget: AttemptBudget }[] = []
  return {
    attempts,
    issue: async (index: number, budget: AttemptBudget) => {
      attempts.push({ index, budget })
      if (failing.has(index)) throw error()
      return `token from ${index}`
    },
  }
}

describe('issueWithFailover', () => {
  it('issues from the primary while it works, with the whole budget and retries', async () => {
    const { failover, now } = setup()
    const { attempts, issue } = issuer(new Set())
    const deadlineMs = now() + 5_000
    await expect(
      issueWithFailover(failover, { now, deadlineMs, log: () => {} }, issue),
    ).resolves.toBe('token from 0')
    // The first of two resources gets half the budget and one attempt.
    expect(attempts).toEqual([{ index: 0, budget: { deadlineMs: now() + 2_500, last: false } }])
  })

  it('moves on to the next resource on a retryable failure, within the same budget', async () => {
    const { failover, now } = setup()
    const { attempts, issue } = issuer(new Set([0]))
    const logged: Record<string, unknown>[] = []
    const deadlineMs = now() + 5_000
    const result = await issueWithFailover(
      failover,
      { now, deadlineMs, log: (event) => logged.push(event) },
      issue,
    )
    expect(result).toBe('token from 1')
    expect(attempts.map((a) => a.index)).toEqual([0, 1])
    expect(attempts[1]?.budget).toEqual({ deadlineMs, last: true })
    expect(logged).toEqual([
      { event: 'resource_failed', resource: 0, code: 'webpubsub_unavailable', last: false },
    ])
  })

  it('does not move on for a failure another resource would share (a missing role, Entra)', async () => {
    for (const code of ['webpubsub_forbidden', 'entra_credentials_rejected'] as const) {
      const { failover, now } = setup()
      const { attempts, issue } = issuer(
        new Set([0]),
        () => new NegotiatorError(code, { detail: 'no' }),
      )
      await expect(
        issueWithFailover(failover, { now, deadlineMs: now() + 5_000, log: () => {} }, issue),
      ).rejects.toMatchObject({ code })
      expect(attempts).toHaveLength(1)
    }
  })

  it('answers 503 with Retry-After when each resource tried failed', async () => {
    const { failover, now } = setup({ endpoints: [PRIMARY, SECONDARY, THIRD] })
    const { attempts, issue } = issuer(new Set([0, 1, 2]), () => unavailable(7))
    const error = await issueWithFailover(
      failover,
      { now, deadlineMs: now() + 6_000, log: () => {} },
      issue,
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(NegotiatorError)
    expect(error).toMatchObject({
      code: 'webpubsub_unavailable',
      retryAfterSeconds: 7,
      upstream: { service: 'webpubsub', status: 503 },
    })
    expect((error as NegotiatorError).detail).toMatch(/3 configured, each one tried failed/)
    // Equal shares of what is left: 2 s, then 2 s, then the rest.
    expect(attempts.map((a) => a.budget.deadlineMs - now())).toEqual([2_000, 3_000, 6_000])
  })

  it('answers 503 at once, without trying, when every breaker is open', async () => {
    const { failover, now } = setup()
    for (const index of [0, 1]) for (let i = 0; i < 3; i++) failover.health?.recordFailure(index)
    const { attempts, issue } = issuer(new Set())
    await expect(
      issueWithFailover(failover, { now, deadlineMs: now() + 5_000, log: () => {} }, issue),
    ).rejects.toMatchObject({
      code: 'webpubsub_unavailable',
      // Every resource down: each is probed every 2 s, so a retry may soon succeed.
      retryAfterSeconds: ALL_DOWN_PROBE_INTERVAL_MS / 1000,
    })
    expect(attempts).toEqual([])
  })

  it('rethrows as it is with a single resource: nothing changes without secondaries', async () => {
    const { failover, now } = setup({ endpoints: [PRIMARY] })
    expect(failover.health).toBeUndefined()
    const original = unavailable(3)
    const { attempts, issue } = issuer(new Set([0]), () => original)
    const deadlineMs = now() + 5_000
    await expect(
      issueWithFailover(failover, { now, deadlineMs, log: () => {} }, issue),
    ).rejects.toBe(original)
    expect(attempts).toEqual([{ index: 0, budget: { deadlineMs, last: true } }])
  })
})

describe('createFailover', () => {
  it('probes an open resource in the background once its open time is over, then returns to it', async () => {
    const { failover, probes, healthy, advance, maintain } = setup()
    for (let i = 0; i < 3; i++) failover.health?.recordFailure(0)
    healthy.delete(PRIMARY)
    await maintain()
    expect(probes).toEqual([])
    advance(FIRST_OPEN_MS)
    await maintain()
    expect(probes).toEqual([`${PRIMARY}/api/health`])
    expect(failover.order()).toEqual([1])
    healthy.add(PRIMARY)
    advance(2 * FIRST_OPEN_MS)
    await maintain()
    expect(failover.order()).toEqual([0, 1])
  })

  it('shares the cron probe through KV, and a new isolate starts from it', async () => {
    const kv = new KvDouble()
    const cron = setup({ kv, healthy: new Set([SECONDARY]) })
    const shared = await cron.failover.probeAll()
    expect(shared.resources).toEqual([
      { endpoint: PRIMARY, healthy: false },
      { endpoint: SECONDARY, healthy: true },
    ])
    expect(await kv.get(SHARED_HEALTH_KEY, 'text')).toContain(PRIMARY)
    const fresh = setup({ kv })
    expect(fresh.failover.order()).toEqual([0, 1])
    await fresh.failover.loadShared()
    expect(fresh.failover.order()).toEqual([1])
  })

  it('ignores a stale or malformed shared entry', async () => {
    const kv = new KvDouble()
    await kv.put(SHARED_HEALTH_KEY, 'not json', { expirationTtl: 600 })
    const first = setup({ kv })
    await first.failover.loadShared()
    expect(first.failover.order()).toEqual([0, 1])
    const old = {
      checkedAtMs: first.now() - 11 * 60_000,
      resources: [{ endpoint: PRIMARY, healthy: false }],
    }
    kv.advance(2_000)
    await kv.put(SHARED_HEALTH_KEY, JSON.stringify(old), { expirationTtl: 600 })
    await first.failover.loadShared()
    expect(first.failover.order()).toEqual([0, 1])
  })

  it('re-reads the shared view in the background at most once a minute', async () => {
    const kv = new KvDouble()
    const { advance, maintain } = setup({ kv })
    await maintain()
    const reads = kv.reads
    expect(reads).toBe(1)
    advance(SHARED_HEALTH_REFRESH_MS - 1)
    await maintain()
    expect(kv.reads).toBe(1)
    advance(1)
    await maintain()
    expect(kv.reads).toBe(2)
  })

  it('with a single resource: no background probe, no KV read or write; the cron still probes it', async () => {
    const kv = new KvDouble()
    const { failover, probes, maintain } = setup({ endpoints: [PRIMARY], kv })
    await maintain()
    await failover.probeAll()
    expect(kv.writes).toBe(0)
    expect(kv.reads).toBe(0)
    expect(probes).toEqual([`${PRIMARY}/api/health`])
  })
})
