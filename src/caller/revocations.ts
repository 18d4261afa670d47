// Revoked users: this isolate's copy of the list in KV, checked on every negotiation without a read.
//
// The list is one KV value (`revocations:v1`), sealed with AES-GCM under the runtime's cache key
// (cache/crypto.ts): user ids are personal data, and whoever can write the namespace cannot plant
// or lift a revocation. The admin endpoint (routes/admin.ts) changes it by read-modify-write; every
// isolate keeps a copy in memory, read before its first negotiation and again in the background.
//
// How late an isolate learns of a change: its copy is read again (in the background, waitUntil)
// once it is 20 s old, and a negotiation that finds it older than 30 s (an isolate that was idle)
// waits for that read itself. Reads pass `cacheTtl: 30`, the least KV allows, so the data centre
// serves a value at most 30 s old (Cloudflare docs, KV "Read key-value pairs" and "How KV works").
// Together at most 30 s + 30 s = 60 s. The isolate that served the admin call applies it at once.
import type { KvLike } from '../cache/encrypted-kv'
import { openText, sealText } from '../cache/crypto'
import { NegotiatorError } from '../errors'
import type { Now } from '../lib/clock'
import { errorName } from '../lib/log'
import {
  documentTtlSeconds,
  endsAtMs,
  isActive,
  keepUntilMs,
  mergeRecords,
  readDocument,
  recordKey,
  REUSE_FENCE_MARGIN_MS,
  type RevocationDocument,
  type RevocationRecord,
} from './revocation-document'

export const REVOCATIONS_KEY = 'revocations:v1'
/** The copy is read again in the background once it is this old. */
export const REFRESH_AFTER_MS = 20_000
/** A negotiation that finds the copy older than this waits for a read. */
export const MAX_COPY_AGE_MS = 30_000
/** KV's cacheTtl for every read of the list, in seconds: the least it accepts. */
export const READ_CACHE_TTL_SECONDS = 30
/** The longest time from a revocation to its refusal by every isolate. */
export const LONGEST_DELAY_SECONDS = MAX_COPY_AGE_MS / 1000 + READ_CACHE_TTL_SECONDS
/** After a failed read, the next one waits this long (the old copy keeps serving meanwhile). */
export const RETRY_AFTER_FAILURE_MS = 5_000
/** A revocation lasts this long unless the operator says otherwise. */
export const DEFAULT_REVOCATION_SECONDS = 24 * 60 * 60
export const MAX_REVOCATION_SECONDS = 30 * 24 * 60 * 60
/** Far longer than any user id a token claim carries; bounds the list and the REST URL. */
export const MAX_USER_ID_LENGTH = 1024

export interface RevocationStatus {
  /** An active revocation covers this user and hub: refuse the negotiation. */
  revoked: boolean
  /** Reuse no client token of this user and hub issued before this. */
  notIssuedBeforeMs: number
}

export interface LiftResult {
  lifted: RevocationRecord[]
  /** The user's revocations still active after the lift (e.g. one for every hub). */
  remaining: RevocationRecord[]
}

export interface Revocations {
  /** Reads the list before the first negotiation; a failure is logged, never thrown. */
  load(): Promise<void>
  /**
   * Undefined when the copy is fresh enough, after starting a background read if one is due; a
   * promise to await when the copy is too old to answer from.
   */
  freshen(waitUntil: (promise: Promise<unknown>) => void): Promise<void> | undefined
  /** The hot path: a Map lookup; undefined (nothing allocated) when the user has no record. */
  check(userId: string, hub: string): RevocationStatus | undefined
  /** The live and recently lifted records, read from KV (admin). */
  list(): Promise<RevocationRecord[]>
  revoke(entry: {
    userId: string
    hub: string | null
    forSeconds: number
  }): Promise<{ record: RevocationRecord; replacedUnreadable: boolean }>
  /** Without `hub`, every active revocation of the user; with one, that hub's only. */
  lift(target: { userId: string; hub?: string }): Promise<LiftResult>
}

export interface RevocationsOptions {
  kv: KvLike
  /** AES-GCM 256: the runtime's cache key. */
  key: CryptoKey
  now: Now
  log: (level: 'warn' | 'error', event: string, fields: Record<string, unknown>) => void
}

/** A record as the hot path reads it: times worked out once, the hub already lower-cased. */
interface Indexed {
  hubKey: string | null
  notIssuedBeforeMs: number
  endsAtMs: number
  keepUntilMs: number
}

function indexOf(records: readonly RevocationRecord[]): Map<string, Indexed[]> {
  const index = new Map<string, Indexed[]>()
  for (const record of records) {
    const entry: Indexed = {
      hubKey: record.hub === null ? null : record.hub.toLowerCase(),
      notIssuedBeforeMs: record.revokedAtMs + REUSE_FENCE_MARGIN_MS,
      endsAtMs: endsAtMs(record),
      keepUntilMs: keepUntilMs(record),
    }
    const list = index.get(record.userId)
    if (list === undefined) index.set(record.userId, [entry])
    else list.push(entry)
  }
  return index
}

const unavailable = (detail: string, cause?: unknown, retryAfterSeconds?: number) =>
  new NegotiatorError('revocation_unavailable', { detail, cause, retryAfterSeconds })

export function createRevocations(options: RevocationsOptions): Revocations {
  const { kv, key, now, log } = options
  let records: RevocationRecord[] = []
  let index = new Map<string, Indexed[]>()
  /** When the read behind the copy started; -Infinity before the first. */
  let readAtMs = -Infinity
  let failedAtMs = -Infinity
  /** Reads under way (a request never awaits another request's read: each waits for its own). */
  let inFlight = 0

  const apply = (next: RevocationRecord[]) => {
    records = next
    index = indexOf(next)
  }

  /** The stored records; `unreadable` when a value is there that this key cannot open. */
  const readStored = async (): Promise<{ stored: RevocationRecord[]; unreadable: boolean }> => {
    const sealed = await kv.get(REVOCATIONS_KEY, {
      type: 'text',
      cacheTtl: READ_CACHE_TTL_SECONDS,
    })
    if (sealed === null) return { stored: [], unreadable: false }
    const text = await openText(key, REVOCATIONS_KEY, sealed)
    if (text === undefined) return { stored: [], unreadable: true }
    try {
      return { stored: readDocument(JSON.parse(text)), unreadable: false }
    } catch {
      return { stored: [], unreadable: true }
    }
  }

  const refresh = async (): Promise<void> => {
    const startedAtMs = now()
    inFlight++
    try {
      const { stored, unreadable } = await readStored()
      if (unreadable) {
        // TOKEN_CACHE_KEY changed, or (without it) the credential the key is derived from: the
        // list is lost until an admin call writes a new one. Say so loudly; nothing else to do.
        log('error', 'revocations_unreadable', {
          detail:
            'The revocation list in KV cannot be decrypted (TOKEN_CACHE_KEY or the credential ' +
            'changed?); revoke the users again to write a new one.',
        })
      }
      apply(mergeRecords(now(), records, stored))
      readAtMs = Math.max(readAtMs, startedAtMs)
    } catch (error) {
      // Fail open: the copy held keeps serving, and the next read is tried 5 s later.
      failedAtMs = now()
      log('warn', 'revocations_refresh_failed', { cause: errorName(error) })
    } finally {
      inFlight--
    }
  }

  /** Reads for a change, merges with this isolate's copy, writes, and applies it here at once. */
  const change = async (
    update: (current: RevocationRecord[], nowMs: number) => RevocationRecord[],
  ): Promise<{ next: RevocationRecord[]; unreadable: boolean }> => {
    let read
    try {
      read = await readStored()
    } catch (error) {
      throw unavailable('The revocation list could not be read from KV; retry shortly.', error, 1)
    }
    const nowMs = now()
    const next = mergeRecords(nowMs, update(mergeRecords(nowMs, records, read.stored), nowMs))
    try {
      if (next.length === 0) {
        await kv.delete(REVOCATIONS_KEY)
      } else {
        const document: RevocationDocument = { version: 1, records: next }
        const sealed = await sealText(key, REVOCATIONS_KEY, JSON.stringify(document))
        await kv.put(REVOCATIONS_KEY, sealed, {
          expirationTtl: documentTtlSeconds(next, nowMs),
        })
      }
    } catch (error) {
      // KV takes one write per second per key (Cloudflare docs, KV limits): retrying shortly works.
      throw unavailable('The revocation list could not be written to KV; retry shortly.', error, 1)
    }
    apply(next)
    readAtMs = Math.max(readAtMs, nowMs)
    return { next, unreadable: read.unreadable }
  }

  return {
    load: refresh,

    freshen(waitUntil) {
      const nowMs = now()
      const ageMs = nowMs - readAtMs
      if (ageMs < REFRESH_AFTER_MS || nowMs - failedAtMs < RETRY_AFTER_FAILURE_MS) {
        return undefined
      }
      // Too old to answer from: this request reads for itself, even while another one reads.
      if (ageMs > MAX_COPY_AGE_MS) return refresh()
      if (inFlight === 0) waitUntil(refresh())
      return undefined
    },

    check(userId, hub) {
      const entries = index.get(userId)
      if (entries === undefined) return undefined
      const nowMs = now()
      const hubKey = hub.toLowerCase()
      let revoked = false
      let notIssuedBeforeMs = -Infinity
      for (const entry of entries) {
        if (entry.keepUntilMs <= nowMs) continue
        if (entry.hubKey !== null && entry.hubKey !== hubKey) continue
        if (nowMs < entry.endsAtMs) revoked = true
        notIssuedBeforeMs = Math.max(notIssuedBeforeMs, entry.notIssuedBeforeMs)
      }
      return notIssuedBeforeMs === -Infinity ? undefined : { revoked, notIssuedBeforeMs }
    },

    async list() {
      let read
      try {
        read = await readStored()
      } catch (error) {
        throw unavailable('The revocation list could not be read from KV; retry shortly.', error, 1)
      }
      const merged = mergeRecords(now(), records, read.stored)
      apply(merged)
      return merged
    },

    async revoke({ userId, hub, forSeconds }) {
      let record: RevocationRecord | undefined
      const { unreadable } = await change((current, nowMs) => {
        record = { userId, hub, revokedAtMs: nowMs, untilMs: nowMs + forSeconds * 1000 }
        const key = recordKey(userId, hub)
        return [...current.filter((r) => recordKey(r.userId, r.hub) !== key), record]
      })
      return { record: record!, replacedUnreadable: unreadable }
    },

    async lift({ userId, hub }) {
      const lifted: RevocationRecord[] = []
      const { next } = await change((current, nowMs) =>
        current.map((r) => {
          const matches =
            r.userId === userId &&
            (hub === undefined || (r.hub !== null && r.hub.toLowerCase() === hub.toLowerCase()))
          if (!matches || !isActive(r, nowMs)) return r
          const done = { ...r, liftedAtMs: nowMs }
          lifted.push(done)
          return done
        }),
      )
      const at = now()
      const remaining = next.filter((r) => r.userId === userId && isActive(r, at))
      return { lifted, remaining }
    },
  }
}
