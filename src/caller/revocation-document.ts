// The revocation list as stored in KV: its records, how two copies merge, and when a record goes.
//
// One record per user and hub (or per user for every hub). A record blocks negotiations until it
// ends (`untilMs`, or earlier when lifted), and is kept for the longest client-token lifetime after
// that: client tokens are reused across negotiations (cache/client-token-cache.ts) under keys that
// hash the whole grant and cannot be listed by user, so instead every token of the user issued
// before the revocation is refused for reuse, and such a token lives at most 24 h (the 1440
// minutes TOKEN_TTL_MINUTES and the policy's ttlMinutes allow).

/** The longest client-token lifetime the configuration allows: 1440 minutes. */
export const MAX_CLIENT_TOKEN_LIFETIME_MS = 24 * 60 * 60_000

/**
 * Tokens issued up to this long after a revocation are not reused either. A token's `iat` comes
 * from Web PubSub's clock (whole seconds, rounded down) and the revocation time from the Worker's,
 * so the margin absorbs their skew; a token it refuses costs one Auth API call, nothing more.
 */
export const REUSE_FENCE_MARGIN_MS = 120_000

export interface RevocationRecord {
  userId: string
  /** The hub as configured (WEBPUBSUB_HUBS), or null for every hub. */
  hub: string | null
  revokedAtMs: number
  /** When the revocation ends by itself. */
  untilMs: number
  /** When an operator lifted it, if they did. */
  liftedAtMs?: number
}

export interface RevocationDocument {
  version: 1
  records: RevocationRecord[]
}

/** The moment the record stops blocking negotiations. */
export const endsAtMs = (record: RevocationRecord): number =>
  Math.min(record.untilMs, record.liftedAtMs ?? Infinity)

/** The moment the record can go: no token issued before the revocation can still be reused. */
export const keepUntilMs = (record: RevocationRecord): number =>
  endsAtMs(record) + MAX_CLIENT_TOKEN_LIFETIME_MS

/** Blocking negotiations at `nowMs`. */
export const isActive = (record: RevocationRecord, nowMs: number): boolean =>
  record.revokedAtMs <= nowMs && nowMs < endsAtMs(record)

/** The last change to a record: a later revocation or lift of the same user and hub wins. */
const changedAtMs = (record: RevocationRecord): number =>
  Math.max(record.revokedAtMs, record.liftedAtMs ?? -Infinity)

/** The identity of a record: the user, and the hub compared case-insensitively, as hubs are. */
export const recordKey = (userId: string, hub: string | null): string =>
  `${hub === null ? '*' : `=${hub.toLowerCase()}`}\n${userId}`

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0

/** The records of a parsed KV value; anything malformed is dropped (the value is ours, sealed). */
export function readDocument(value: unknown): RevocationRecord[] {
  if (typeof value !== 'object' || value === null) return []
  const { version, records } = value as Record<string, unknown>
  if (version !== 1 || !Array.isArray(records)) return []
  const valid: RevocationRecord[] = []
  for (const item of records as unknown[]) {
    if (typeof item !== 'object' || item === null) continue
    const { userId, hub, revokedAtMs, untilMs, liftedAtMs } = item as Record<string, unknown>
    if (typeof userId !== 'string' || userId === '') continue
    if (hub !== null && typeof hub !== 'string') continue
    if (!isTime(revokedAtMs) || !isTime(untilMs)) continue
    if (liftedAtMs !== undefined && !isTime(liftedAtMs)) continue
    valid.push({
      userId,
      hub,
      revokedAtMs,
      untilMs,
      ...(liftedAtMs === undefined ? {} : { liftedAtMs }),
    })
  }
  return valid
}

/**
 * Both copies in one, without the records whose time is over: per user and hub the one changed
 * last. Records only ever change by a later revocation or lift and only go by time, so merging
 * copies read at different moments (an isolate's own and KV's) never undoes a change either saw.
 */
export function mergeRecords(
  nowMs: number,
  ...copies: readonly (readonly RevocationRecord[])[]
): RevocationRecord[] {
  const byKey = new Map<string, RevocationRecord>()
  for (const copy of copies) {
    for (const record of copy) {
      if (keepUntilMs(record) <= nowMs) continue
      const key = recordKey(record.userId, record.hub)
      const held = byKey.get(key)
      if (held === undefined || changedAtMs(record) > changedAtMs(held)) byKey.set(key, record)
    }
  }
  return [...byKey.values()]
}

/** How long KV keeps the value: until its last record can go (KV's minimum is 60 s). */
export function documentTtlSeconds(records: readonly RevocationRecord[], nowMs: number): number {
  let last = nowMs
  for (const record of records) last = Math.max(last, keepUntilMs(record))
  return Math.max(60, Math.ceil((last - nowMs) / 1000))
}
