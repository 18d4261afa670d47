// What every step shares: fetch with a time limit and a record of each answer, the clock, the redactor.
import { systemSleep, type Sleep } from '../../src/lib/clock'
import type { Redactor } from './redact'

/** Every call the doctor makes gives up after this long (the Entra and Auth API retries included). */
export const DEFAULT_TIMEOUT_MS = 10_000

/** One HTTP answer as the doctor saw it: its status and Date header, and an error body's message. */
export interface Exchange {
  url: string
  status: number
  /** The `Date` header (RFC 9110 §6.6.1), for measuring clock skew; null when absent. */
  date: string | null
  sentAtMs: number
  receivedAtMs: number
  /**
   * From an error body only: Entra's `error` and the first line of its `error_description`, or
   * Web PubSub's `code` and `message`. These name what was wrong, never a credential.
   */
  error?: { code?: string; message?: string }
}

export interface DoctorContext {
  fetch: typeof fetch
  now: () => number
  sleep: Sleep
  timeoutMs: number
  redactor: Redactor
  /** Every answer so far, oldest first. */
  exchanges: Exchange[]
}

const firstLine = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.split(/\r?\n/)[0]?.slice(0, 400) : undefined

async function errorOf(response: Response): Promise<Exchange['error']> {
  try {
    const body = (await response.clone().json()) as Record<string, unknown>
    if (typeof body !== 'object' || body === null) return undefined
    return {
      code: firstLine(body.error) ?? firstLine(body.code),
      message: firstLine(body.error_description) ?? firstLine(body.message),
    }
  } catch {
    return undefined
  }
}

export function createContext(options: {
  fetch: typeof fetch
  now: () => number
  timeoutMs: number
  redactor: Redactor
}): DoctorContext {
  const exchanges: Exchange[] = []
  const { now } = options
  const traced: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    // The callers' own signals time out each attempt; this one bounds any call that has none.
    const signal = init?.signal ?? AbortSignal.timeout(options.timeoutMs)
    const sentAtMs = now()
    const response = await options.fetch(input, { ...init, signal })
    const exchange: Exchange = {
      url: url.split('?')[0] ?? url,
      status: response.status,
      date: response.headers.get('date'),
      sentAtMs,
      receivedAtMs: now(),
    }
    if (!response.ok) exchange.error = await errorOf(response)
    exchanges.push(exchange)
    return response
  }
  return {
    fetch: traced,
    now,
    sleep: systemSleep,
    timeoutMs: options.timeoutMs,
    redactor: options.redactor,
    exchanges,
  }
}

/** The exchanges with this URL (query left out), newest last. */
export function exchangesWith(context: DoctorContext, url: string): Exchange[] {
  const target = url.split('?')[0]
  return context.exchanges.filter((exchange) => exchange.url === target)
}
