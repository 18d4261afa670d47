// The state of resources 1…n−1: their own counters, faults, signer and switches; Entra shared.
import { randomBytes } from 'node:crypto'
import { createClientTokenSigner, withAccessKey } from '../client-token'
import type { RouteName } from '../lib/route-names'
import { zeroCounters, type EmulatorState, type ResourceState } from '../state'

/**
 * A resource trusting the main state's Entra: its key, apps and tenant are read from `main` at
 * each use (never copied), so apps added later through the control API are known here too. The
 * clock is main's, so a test that moves `main.now` moves every resource.
 */
export function createResourceState(
  main: EmulatorState,
  options: { accessKey?: string } = {},
): ResourceState {
  // Its own client-token key, as each Azure resource has its own keys: a token issued by another
  // resource fails the signature check here.
  const own = createClientTokenSigner(randomBytes(32))
  const resource: ResourceState = {
    get tenantId() {
      return main.tenantId
    },
    get entraKey() {
      return main.entraKey
    },
    get apps() {
      return main.apps
    },
    clientTokenSigner:
      options.accessKey === undefined ? own : withAccessKey(own, options.accessKey),
    counters: zeroCounters(),
    faults: new Map(),
    chaos: new Map(),
    faultCounts: new Map(),
    latencyMs: new Map(),
    down: false,
    roleOverrides: new Map(),
    closing: main.closing,
    now: () => main.now(),
    // Its own override first, then the shared assignments (not resource 0's overrides).
    roleOf: (clientId) =>
      resource.roleOverrides.get(clientId) ?? main.roleAssignments.get(clientId) ?? 'none',
    reset() {
      resource.counters = zeroCounters()
      resource.faults.clear()
      resource.chaos.clear()
      resource.faultCounts.clear()
      // The config's latency is the resource's: each one starts (and resets) with it.
      resource.latencyMs = new Map(Object.entries(main.config.latencyMs) as [RouteName, number][])
      resource.down = false
      resource.roleOverrides.clear()
    },
  }
  resource.reset()
  return resource
}
