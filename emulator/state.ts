// The emulator's mutable state: apps, role assignments, keys, settings, and the data-plane state of resource 0.
import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { createClientTokenSigner, withAccessKey, type ClientTokenSigner } from './client-token'
import type { EmulatorConfig, Settings } from './config'
import { DEMO_APPS } from './demo'
import { derivedGuid } from './lib/guid'
import { readCertificate, type RegisteredCertificate } from './lib/pem'
import { ROUTE_NAMES, type RouteName } from './lib/route-names'
import type { SelfSigned } from './lib/self-signed'
import type { Role } from './roles'
import { createOidcKeyring, type OidcKeyring } from './oidc/keys'

export interface RegisteredApp {
  clientId: string
  /** The service principal's object id: the `oid` of its tokens, distinct from the client id. */
  objectId: string
  displayName: string
  secrets: { value: string; expired: boolean }[]
  certificates: RegisteredCertificate[]
}

export type FaultKind = 'status' | 'hang' | 'malformed' | 'empty'

/** One fault as the instrumented route applies it; `latency` delays the real answer instead. */
export interface InjectedFault {
  kind: FaultKind | 'latency'
  status?: number
  retryAfterSeconds?: number
  /** For `latency`: the extra delay. */
  ms?: number
}

export interface QueuedFault extends InjectedFault {
  kind: FaultKind
  /** Requests left to fault; -1 = until reset. */
  remaining: number
}

export interface ChaosFault extends InjectedFault {
  /** Relative chance among the rule's faults. */
  weight: number
}

/** Random faults on one route: each request faults with probability `rate`, then picks by weight. */
export interface ChaosRule {
  rate: number
  faults: ChaosFault[]
  seed: number
  /** Seeded from `seed` and the route: the same seed and request order give the same faults. */
  random: () => number
}

export interface EntraSigningKey {
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  publicJwk: JWK
}

/**
 * One Web PubSub resource's data plane: what `:generateToken`, the client REST routes, the
 * WebSocket service and their instrumentation read. The main state (resource 0) is one; each
 * further resource (emulator/resources/) has its own counters, faults, signer, outage switch and
 * role overrides, and shares the Entra trust (key, apps, tenant, clock) with the main state.
 */
export interface ResourceState {
  readonly tenantId: string
  /** Signs the Entra access tokens (RS256) that `:generateToken` later verifies. */
  readonly entraKey: EntraSigningKey
  readonly apps: Map<string, RegisteredApp>
  /** Signs client tokens at `:generateToken`; the WebSocket service verifies with it. */
  readonly clientTokenSigner: ClientTokenSigner
  counters: Record<RouteName, number>
  faults: Map<RouteName, QueuedFault[]>
  chaos: Map<RouteName, ChaosRule>
  /** Injected faults (queued and chaos) per route and kind label (`status:503`, `latency`, …). */
  faultCounts: Map<RouteName, Record<string, number>>
  latencyMs: Map<RouteName, number>
  /** Emulated outage: every Web PubSub route answers 503 and WebSocket upgrades are refused. */
  down: boolean
  /** clientId → role at this resource only, ahead of the shared role assignments. */
  roleOverrides: Map<string, Role>
  /** Aborted when the emulator closes, so that hanging requests end. */
  readonly closing: AbortController
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number
  roleOf(clientId: string): Role
  reset(): void
}

export interface EmulatorState extends ResourceState {
  readonly config: EmulatorConfig
  /** Accepted in place of the tenant id in Entra paths (compared lower case). */
  readonly tenantNames: ReadonlySet<string>
  /** Signs the local OpenID issuer's user tokens (emulator/oidc); rotated only by the control API. */
  readonly oidcKeys: OidcKeyring
  /** The demo app's certificate and key, registered to `ownerCertificate`. */
  readonly demoCertificate: SelfSigned
  apps: Map<string, RegisteredApp>
  /** Shared by every resource that has no override for the app. */
  roleAssignments: Map<string, Role>
  settings: Settings
  /** Client-assertion `jti` → its `exp` (seconds): replays are refused until then. */
  jtiSeen: Map<string, number>
  /** The states of resources 1…n−1 (emulator/resources/); reset() resets them too. */
  readonly otherResources: ResourceState[]
}

export interface CreateStateOptions {
  config: EmulatorConfig
  demoCertificate: SelfSigned
  now?: () => number
}

export async function createEmulatorState(options: CreateStateOptions): Promise<EmulatorState> {
  const { config, demoCertificate } = options
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = randomBytes(15).toString('base64url')
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' }
  const demoCert = readCertificate(demoCertificate.certificatePem)
  const oidcKeys = await createOidcKeyring()

  const state: EmulatorState = {
    config,
    tenantId: config.tenantId,
    tenantNames: new Set([config.tenantId, ...config.tenantDomains].map((n) => n.toLowerCase())),
    entraKey: { kid, privateKey, publicKey, publicJwk },
    clientTokenSigner:
      config.accessKey === undefined
        ? createClientTokenSigner(randomBytes(32))
        : withAccessKey(createClientTokenSigner(randomBytes(32)), config.accessKey),
    oidcKeys,
    demoCertificate,
    apps: new Map(),
    roleAssignments: new Map(),
    settings: { ...config.settings },
    counters: zeroCounters(),
    faults: new Map(),
    chaos: new Map(),
    faultCounts: new Map(),
    latencyMs: new Map(),
    jtiSeen: new Map(),
    down: false,
    roleOverrides: new Map(),
    otherResources: [],
    closing: new AbortController(),
    now: options.now ?? Date.now,
    roleOf: (clientId) =>
      state.roleOverrides.get(clientId) ?? state.roleAssignments.get(clientId) ?? 'none',
    reset() {
      state.apps.clear()
      state.roleAssignments.clear()
      for (const seed of DEMO_APPS) {
        state.apps.set(seed.clientId, {
          clientId: seed.clientId,
          objectId: seed.objectId,
          displayName: seed.displayName,
          secrets: seed.secret ? [{ ...seed.secret }] : [],
          certificates: seed.certificate ? [demoCert] : [],
        })
        state.roleAssignments.set(seed.clientId, seed.role)
      }
      for (const app of config.apps) {
        state.apps.set(app.clientId, {
          clientId: app.clientId,
          objectId: app.objectId ?? derivedGuid(`service-principal:${app.clientId}`),
          displayName: app.displayName ?? app.clientId,
          secrets: (app.secrets ?? []).map((s) => ({
            value: s.value,
            expired: s.expired === true,
          })),
          certificates: app.certificatePem ? [readCertificate(app.certificatePem)] : [],
        })
        state.roleAssignments.set(app.clientId, app.role ?? 'none')
      }
      for (const [clientId, role] of Object.entries(config.roleAssignments)) {
        state.roleAssignments.set(clientId, role)
      }
      state.settings = { ...config.settings }
      state.counters = zeroCounters()
      state.faults.clear()
      state.chaos.clear()
      state.faultCounts.clear()
      state.latencyMs = new Map(Object.entries(config.latencyMs) as [RouteName, number][])
      state.jtiSeen.clear()
      state.down = false
      state.roleOverrides.clear()
      for (const resource of state.otherResources) resource.reset()
    },
  }
  state.reset()
  return state
}

export function zeroCounters(): Record<RouteName, number> {
  return Object.fromEntries(ROUTE_NAMES.map((name) => [name, 0])) as Record<RouteName, number>
}
