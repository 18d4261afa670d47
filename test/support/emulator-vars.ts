// The negotiator's variables wired to a running emulator (Owner app with a secret), for Node-side suites.
import type { RunningEmulator } from '../../emulator/index'
import type { NegotiatorVars } from './negotiator-process'

export function emulatorVars(
  emulator: RunningEmulator,
  overrides: NegotiatorVars = {},
): NegotiatorVars {
  const app = emulator.demo.apps.ownerSecret
  return {
    AUTH_MODE: 'anonymous',
    AZURE_TENANT_ID: emulator.demo.tenantId,
    AZURE_CLIENT_ID: app.clientId,
    AZURE_CLIENT_SECRET: app.clientSecret ?? '',
    AZURE_AUTHORITY_HOST: emulator.url,
    WEBPUBSUB_ENDPOINT: emulator.url,
    WEBPUBSUB_HUBS: 'chat',
    ...overrides,
  }
}
