// The measured phases and who runs in each: the floor, a new identity per negotiation at several concurrencies, one caller again and again.
import { mintUserToken, setLatency, type EmulatorAddress } from './emulator-control'
import type { PerContestant } from './types'
import { HUB, type Server } from './workers'

export const NEGOTIATE = `/negotiate?hub=${HUB}`
/** The repeat-identity caller: ours reads it from a verified user token, the SDK from the query. */
export const REPEAT_USER = 'bench-repeat-user'
/** The Auth API answers this late in the repeat-identity phase, as a real region might. */
export const AUTH_API_LATENCY_MS = 50
export const AUTH_API_ROUTE = 'webpubsub.generateToken'

export interface Target {
  server: Server
  /** Path and query. */
  path: string
  headers?: Record<string, string>
}

export interface Phase {
  /** Stable key for the report, the goals and the chart. */
  id: string
  name: string
  concurrency: number
  /** Share of --duration this phase's segments last. */
  durationShare: number
  negotiation: boolean
  targets: PerContestant<Target>
  /** Run before the phase's first segment, and after its last whatever happens. */
  before?: () => Promise<void>
  after?: () => Promise<void>
}

export interface ScenarioServers {
  /** Our negotiator in anonymous mode: a random user id per negotiation. */
  ours: Server
  /** Ours with LOG_LEVEL=warn: no audit line, so that its price shows next to ours. */
  oursQuiet: Server
  /** Our negotiator in jwt mode, trusting the emulator's OIDC issuer. */
  oursJwt: Server
  /** Our negotiator in anonymous and access-key mode: tokens signed in the Worker. */
  oursKey: Server
  naive: Server
  naiveKey: Server
  ok: Server
  sdk: Server
}

export interface Scenarios {
  phases: Phase[]
  /** Each negotiating target once, to warm up before measuring (first tokens, JWKS, JIT). */
  warmups: { label: string; target: Target }[]
}

export async function buildScenarios(
  servers: ScenarioServers,
  emulator: EmulatorAddress,
): Promise<Scenarios> {
  const newIdentity = (server: Server): Target => ({ server, path: NEGOTIATE })
  // One caller: the same user id for both, each the way it learns who calls.
  const token = await mintUserToken(emulator, REPEAT_USER)
  const repeatOurs: Target = {
    server: servers.oursJwt,
    path: NEGOTIATE,
    headers: { authorization: `Bearer ${token}` },
  }
  const repeatSdk: Target = { server: servers.sdk, path: `${NEGOTIATE}&userId=${REPEAT_USER}` }
  const anonymous = {
    ours: newIdentity(servers.ours),
    sdk: newIdentity(servers.sdk),
  }
  const phases: Phase[] = [
    {
      // The cheapest answer each server gives (no upstream call): what the HTTP stack costs.
      id: 'floor',
      name: 'GET /healthz (floor)',
      concurrency: 1,
      durationShare: 0.5,
      negotiation: false,
      targets: {
        ours: { server: servers.ours, path: '/healthz' },
        ok: { server: servers.ok, path: '/healthz' },
        sdk: { server: servers.sdk, path: '/healthz' },
      },
    },
    {
      id: 'sequential',
      name: 'new identity, sequential',
      concurrency: 1,
      durationShare: 1,
      negotiation: true,
      targets: { ...anonymous, naive: newIdentity(servers.naive) },
    },
    {
      id: 'c8',
      name: 'new identity',
      concurrency: 8,
      durationShare: 1,
      negotiation: true,
      targets: anonymous,
    },
    {
      id: 'new-identity',
      name: 'new identity (CPU-bound)',
      concurrency: 20,
      durationShare: 1,
      negotiation: true,
      // With the access-key contestants: no upstream call at all, so the Worker's own floor.
      targets: {
        ...anonymous,
        oursQuiet: newIdentity(servers.oursQuiet),
        oursKey: newIdentity(servers.oursKey),
        naive: newIdentity(servers.naive),
        naiveKey: newIdentity(servers.naiveKey),
        ok: { server: servers.ok, path: NEGOTIATE },
      },
    },
    {
      id: 'c32',
      name: 'new identity',
      concurrency: 32,
      durationShare: 1,
      negotiation: true,
      targets: anonymous,
    },
    {
      id: 'repeat-identity',
      name: `repeat identity (jwt), Auth API +${AUTH_API_LATENCY_MS} ms`,
      concurrency: 20,
      durationShare: 1,
      negotiation: true,
      targets: { ours: repeatOurs, sdk: repeatSdk },
      before: () => setLatency(emulator, AUTH_API_ROUTE, AUTH_API_LATENCY_MS),
      after: () => setLatency(emulator, AUTH_API_ROUTE, 0),
    },
    {
      // The same caller one negotiation at a time: what a distant user sees, without the queueing
      // of a closed loop on two cores that dominates the c=20 phase.
      id: 'repeat-identity-c1',
      name: `repeat identity (jwt), Auth API +${AUTH_API_LATENCY_MS} ms, sequential`,
      concurrency: 1,
      durationShare: 0.5,
      negotiation: true,
      targets: { ours: repeatOurs, sdk: repeatSdk },
      before: () => setLatency(emulator, AUTH_API_ROUTE, AUTH_API_LATENCY_MS),
      after: () => setLatency(emulator, AUTH_API_ROUTE, 0),
    },
  ]
  return {
    phases,
    warmups: [
      { label: 'ours', target: anonymous.ours },
      { label: 'ours (LOG_LEVEL=warn)', target: newIdentity(servers.oursQuiet) },
      { label: 'naive', target: newIdentity(servers.naive) },
      { label: 'ours (access key)', target: newIdentity(servers.oursKey) },
      { label: 'naive (access key)', target: newIdentity(servers.naiveKey) },
      { label: 'SDK', target: anonymous.sdk },
      { label: 'ours (jwt, one caller)', target: repeatOurs },
      { label: 'SDK (one caller)', target: repeatSdk },
    ],
  }
}
