// The cron's view of every resource's health, shared with every isolate through Workers KV.
//
// Key `webpubsub-health:v1` holds `{ checkedAtMs, resources: [{ endpoint, healthy }] }` as plain
// JSON: endpoints and up/down are no secret (every client URL names its endpoint). It is written
// once per cron run, far below KV's one write per second per key, and read by a new isolate before
// its first negotiation, so that it does not start by sending traffic to a dead resource.
import type { KvLike } from '../cache/encrypted-kv'

export const SHARED_HEALTH_KEY = 'webpubsub-health:v1'
/** Older news than this is ignored: the cron runs every few minutes. */
export const SHARED_HEALTH_MAX_AGE_MS = 10 * 60_000
const TTL_SECONDS = 600

export interface SharedHealth {
  checkedAtMs: number
  resources: { endpoint: string; healthy: boolean }[]
}

export async function readSharedHealth(kv: KvLike): Promise<SharedHealth | undefined> {
  const text = await kv.get(SHARED_HEALTH_KEY, 'text')
  if (text === null) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { checkedAtMs, resources } = value as Record<string, unknown>
  if (typeof checkedAtMs !== 'number' || !Array.isArray(resources)) return undefined
  const entries = resources.filter(
    (entry): entry is SharedHealth['resources'][number] =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as Record<string, unknown>).endpoint === 'string' &&
      typeof (entry as Record<string, unknown>).healthy === 'boolean',
  )
  return { checkedAtMs, resources: entries }
}

export async function writeSharedHealth(kv: KvLike, health: SharedHealth): Promise<void> {
  await kv.put(SHARED_HEALTH_KEY, JSON.stringify(health), { expirationTtl: TTL_SECONDS })
}
