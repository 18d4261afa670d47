// A Workers KV stand-in that misbehaves like production KV on demand (Cloudflare's "How KV works" and
// limits pages):
// Miniflare's KV is strongly consistent and never throttles, so code for lag and 429 is tested here.
import type { KvLike, KvTextGetOptions } from '../../src/cache/encrypted-kv'

export interface KvDoubleOptions {
  /** Epoch ms the double expires entries and rate-limits by; default its own manual clock. */
  now?: () => number
}

type PutOptions = Parameters<KvLike['put']>[2]

interface Entry {
  value: string
  expiresAtMs: number | undefined
}

interface LastWrite {
  atMs: number
  /** What readers in lag still see: the entry before the oldest write they have not caught up with. */
  before: Entry | undefined
}

/** Cloudflare's KV limits: `expirationTtl` ≥ 60 s, 1 write per second per key, keys ≤ 512 bytes. */
const MIN_TTL_SECONDS = 60
/** A read's `cacheTtl` must be at least 30 s (Miniflare and production). */
const MIN_CACHE_TTL_SECONDS = 30
const WRITE_INTERVAL_MS = 1_000
const MAX_KEY_BYTES = 512
const DEFAULT_START_MS = Date.UTC(2026, 0, 1)

export class KvDouble implements KvLike {
  /** When true, get throws as a failing KV read does. */
  failReads = false
  /** When true, put and delete throw as a failing KV write does. */
  failWrites = false
  /** For this long after a key's last write, get returns the value from before it (eventual consistency). */
  readLagMs = 0
  /** Calls made, including ones that threw. */
  reads = 0
  writes = 0
  deletes = 0
  /** The `cacheTtl` of each read, in order (undefined: KV's default of 60 s). */
  readonly cacheTtls: (number | undefined)[] = []

  readonly now: () => number
  private manualNowMs = DEFAULT_START_MS
  private readonly injectedClock: boolean
  private readonly entries = new Map<string, Entry>()
  private readonly lastWrites = new Map<string, LastWrite>()

  constructor(options: KvDoubleOptions = {}) {
    this.injectedClock = options.now !== undefined
    this.now = options.now ?? (() => this.manualNowMs)
  }

  /** Moves the double's own clock; with an injected clock, advance that one instead. */
  advance(ms: number): void {
    if (this.injectedClock) throw new Error('KvDouble follows an injected clock: advance that one')
    this.manualNowMs += ms
  }

  async get(key: string, typeOrOptions: 'text' | KvTextGetOptions): Promise<string | null> {
    this.reads++
    checkKey('GET', key)
    const options = typeof typeOrOptions === 'string' ? { type: typeOrOptions } : typeOrOptions
    if (options.type !== 'text') {
      throw new Error(`KvDouble supports only 'text' reads, got ${String(options.type)}`)
    }
    const cacheTtl = 'cacheTtl' in options ? options.cacheTtl : undefined
    this.cacheTtls.push(cacheTtl)
    if (cacheTtl !== undefined && (Number.isNaN(cacheTtl) || cacheTtl < MIN_CACHE_TTL_SECONDS)) {
      // Miniflare's message for the limit production enforces.
      throw new Error(
        `KV GET failed: 400 Invalid cache_ttl of ${cacheTtl}. Cache TTL must be at least ${MIN_CACHE_TTL_SECONDS}.`,
      )
    }
    if (this.failReads) throw new Error('KV GET failed: 500 Internal Server Error')
    const nowMs = this.now()
    const lastWrite = this.lastWrites.get(key)
    const lagging = lastWrite !== undefined && nowMs < lastWrite.atMs + this.readLagMs
    const entry = lagging ? lastWrite.before : this.entries.get(key)
    return live(entry, nowMs)?.value ?? null
  }

  async put(key: string, value: string, options?: PutOptions): Promise<void> {
    this.writes++
    checkKey('PUT', key)
    if (this.failWrites) throw new Error('KV PUT failed: 500 Internal Server Error')
    const nowMs = this.now()
    const expiresAtMs = expiryFrom(options, nowMs)
    this.recordWrite('PUT', key, nowMs)
    this.entries.set(key, { value, expiresAtMs })
  }

  async delete(key: string): Promise<void> {
    this.deletes++
    checkKey('DELETE', key)
    if (this.failWrites) throw new Error('KV DELETE failed: 500 Internal Server Error')
    const nowMs = this.now()
    this.recordWrite('DELETE', key, nowMs)
    this.entries.delete(key)
  }

  /** The stored string as the latest write left it, ignoring lag, expiry and counters. */
  peek(key: string): string | undefined {
    return this.entries.get(key)?.value
  }

  /** Stores a raw string without limits, lag or counters: for planting tampered or foreign values. */
  plant(key: string, value: string): void {
    this.entries.set(key, { value, expiresAtMs: undefined })
  }

  /** Keys currently stored and not expired. */
  keys(): string[] {
    const nowMs = this.now()
    return [...this.entries].filter(([, entry]) => live(entry, nowMs)).map(([key]) => key)
  }

  private recordWrite(operation: 'PUT' | 'DELETE', key: string, nowMs: number): void {
    const previous = this.lastWrites.get(key)
    if (previous !== undefined && nowMs - previous.atMs < WRITE_INTERVAL_MS) {
      throw new Error(`KV ${operation} failed: 429 Too Many Requests`)
    }
    // Readers still behind an earlier write keep seeing what was there before that one.
    const stillLagging = previous !== undefined && nowMs < previous.atMs + this.readLagMs
    const before = stillLagging ? previous.before : this.entries.get(key)
    this.lastWrites.set(key, { atMs: nowMs, before })
  }
}

function live(entry: Entry | undefined, nowMs: number): Entry | undefined {
  if (entry === undefined) return undefined
  return entry.expiresAtMs !== undefined && entry.expiresAtMs <= nowMs ? undefined : entry
}

function checkKey(operation: string, key: string): void {
  if (key === '') throw new Error(`KV ${operation} failed: 400 Key names must not be empty`)
  const bytes = new TextEncoder().encode(key).length
  if (bytes > MAX_KEY_BYTES) {
    throw new Error(
      `KV ${operation} failed: 414 UTF-8 encoded length of ${bytes} exceeds key length limit of ${MAX_KEY_BYTES}.`,
    )
  }
}

/** Validates the expiry options with Miniflare's messages, prefixed as the binding reports them. */
function expiryFrom(options: PutOptions, nowMs: number): number | undefined {
  const nowSeconds = Math.floor(nowMs / 1000)
  const ttl = options?.expirationTtl
  if (ttl !== undefined) {
    if (Number.isNaN(ttl) || ttl <= 0) {
      throw new Error(
        `KV PUT failed: 400 Invalid expiration_ttl of ${ttl}. Please specify integer greater than 0.`,
      )
    }
    if (ttl < MIN_TTL_SECONDS) {
      throw new Error(
        `KV PUT failed: 400 Invalid expiration_ttl of ${ttl}. Expiration TTL must be at least ${MIN_TTL_SECONDS}.`,
      )
    }
    return (nowSeconds + ttl) * 1000
  }
  const expiration = options?.expiration
  if (expiration !== undefined) {
    if (Number.isNaN(expiration) || expiration <= nowSeconds) {
      throw new Error(
        `KV PUT failed: 400 Invalid expiration of ${expiration}. Please specify integer greater than the current number of seconds since the UNIX epoch.`,
      )
    }
    if (expiration < nowSeconds + MIN_TTL_SECONDS) {
      throw new Error(
        `KV PUT failed: 400 Invalid expiration of ${expiration}. Expiration times must be at least ${MIN_TTL_SECONDS} seconds in the future.`,
      )
    }
    return expiration * 1000
  }
  return undefined
}
