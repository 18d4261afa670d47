// What the soak injects and where: short-lived Entra tokens, emulator chaos on Entra and the Auth API, KV errors.
import { counterDelta, type RouteCounters } from './emulator-control'
import type { SoakReport } from './soak-report'
import { KV_FAULTS_PATH, type KvFaultCounts, type KvFaultSettings } from './soak-worker'

/**
 * Entra tokens live 14 s and ask to be refreshed after 1 s (`refresh_in`), so the Worker calls
 * Entra about once a second instead of once an hour and Entra faults land on real refreshes.
 * The negotiator stops using a token at half its life (7 s); 7 s more before `exp` covers a
 * request that took the token just before then and spends its whole 5 s deadline on retries, so
 * no 401 comes from a token that really expired: every 401 in the run is an injected one.
 */
export const ENTRA_TOKEN_LIFETIME_SECONDS = 14
export const ENTRA_REFRESH_IN_SECONDS = 1
/** Below the negotiator's 3 s per-attempt timeout: a spike slows an answer but need not fail it. */
const SPIKE_MS = 800
/** Background refreshes and KV writes (ctx.waitUntil) may still run when the last answer is in. */
const SETTLE_MS = 1_000

export const ENTRA_FAULTS = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503 },
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'latency', ms: SPIKE_MS },
]
export const AUTH_API_FAULTS = [
  { kind: 'status', status: 502 },
  { kind: 'status', status: 503 },
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'status', status: 429 },
  { kind: 'status', status: 401 },
  { kind: 'latency', ms: SPIKE_MS },
]

/** Injected `status:*` faults on the two upstream routes. */
function statusFaults(faults: Counters['faults']): number {
  return ['entra.token', 'webpubsub.generateToken']
    .flatMap((route) => Object.entries(faults[route] ?? {}))
    .filter(([kind]) => kind.startsWith('status:'))
    .reduce((sum, [, n]) => sum + n, 0)
}

export interface FaultPlan {
  emulatorUrl: string
  negotiatorUrl: string
  /** Chance that one `:generateToken` call faults. */
  faultRate: number
  /** Chance that one Entra token call or one KV operation faults (both happen only on refreshes). */
  refreshFaultRate: number
  seed: number
}

interface Counters {
  routes: RouteCounters
  faults: Record<string, Record<string, number>>
}

async function call<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`)
  return JSON.parse(text) as T
}

const readCounters = (plan: FaultPlan) =>
  call<Counters>(`${plan.emulatorUrl}/_emulator/counters`, 'GET')

/** Before the setup check: short-lived tokens, no faults yet. */
export async function shortenEntraTokens(plan: FaultPlan): Promise<void> {
  await call(`${plan.emulatorUrl}/_emulator/settings`, 'PATCH', {
    entraTokenLifetimeSeconds: ENTRA_TOKEN_LIFETIME_SECONDS,
    entraRefreshInSeconds: ENTRA_REFRESH_IN_SECONDS,
  })
}

/** Switches every fault on; returns the emulator's counters at that moment. */
export async function startFaults(plan: FaultPlan): Promise<Counters> {
  const chaos = (route: string, rate: number, faults: unknown[]) =>
    call(`${plan.emulatorUrl}/_emulator/chaos`, 'POST', { route, rate, faults, seed: plan.seed })
  await chaos('entra.token', plan.refreshFaultRate, ENTRA_FAULTS)
  await chaos('webpubsub.generateToken', plan.faultRate, AUTH_API_FAULTS)
  const kv: KvFaultSettings = { rate: plan.refreshFaultRate, seed: plan.seed }
  await call(`${plan.negotiatorUrl}${KV_FAULTS_PATH}`, 'PUT', kv)
  return readCounters(plan)
}

export interface FaultOutcome {
  plan: SoakReport['faultPlan']
  upstream: (negotiations: number) => SoakReport['upstream']
  injected: SoakReport['faultsInjected']
}

/** After the load: lets background work finish, then reads what was called and injected. */
export async function finishFaults(plan: FaultPlan, baseline: Counters): Promise<FaultOutcome> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  const after = await readCounters(plan)
  const kv = await call<KvFaultCounts>(`${plan.negotiatorUrl}${KV_FAULTS_PATH}`, 'GET')
  const calls = counterDelta(baseline.routes, after.routes)
  const entraToken = calls['entra.token'] ?? 0
  const generateToken = calls['webpubsub.generateToken'] ?? 0
  const sum = (values: number[]) => values.reduce((total, n) => total + n, 0)
  const emulatorFaults = sum(Object.values(after.faults).flatMap((kinds) => Object.values(kinds)))
  const kvFaults = kv.get.faults + kv.put.faults + kv.delete.faults
  const operations = entraToken + generateToken + kv.get.calls + kv.put.calls + kv.delete.calls
  return {
    plan: {
      entraTokenLifetimeSeconds: ENTRA_TOKEN_LIFETIME_SECONDS,
      entraRefreshInSeconds: ENTRA_REFRESH_IN_SECONDS,
      'entra.token': { rate: plan.refreshFaultRate, faults: ENTRA_FAULTS },
      'webpubsub.generateToken': { rate: plan.faultRate, faults: AUTH_API_FAULTS },
      kv: { rate: plan.refreshFaultRate, operations: ['get', 'put', 'delete'] },
      seed: plan.seed,
    },
    upstream: (negotiations) => ({
      calls,
      entraToken,
      generateToken,
      perNegotiation: (entraToken + generateToken) / negotiations,
      // Each injected status fault forces exactly one more call: what is left is the Worker's own.
      perNegotiationNetOfStatusFaults:
        (entraToken + generateToken - statusFaults(after.faults)) / negotiations,
    }),
    injected: {
      emulator: after.faults,
      kv,
      total: emulatorFaults + kvFaults,
      operations,
      share: operations === 0 ? 0 : (emulatorFaults + kvFaults) / operations,
    },
  }
}
