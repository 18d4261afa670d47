// The negotiator's variables wired to a running emulator (Owner app with a secret), for Node-side suites.
import type { RunningEmulator } from '../../emulator/index'
import type { NegotiatorVars } from './negotiator-process'

/** Anonymous mode, the Owner app with a secret, hub chat: strings only, as `npm run doctor` reads them. */
export function emulatorEnv(emulator: RunningEmulator): Record<string, string> {
  const app = emulator.demo.apps.ownerSecret
  return {
    AUTH_MODE: 'anonymous',
    AZURE_TENANT_ID: emulator.demo.tenantId,
    AZURE_CLIENT_ID: app.clientId,
    AZURE_CLIENT_SECRET: app.clientSecret ?? '',
    AZURE_AUTHORITY_HOST: emulator.url,
    WEBPUBSUB_ENDPOINT: emulator.url,
    WEBPUBSUB_HUBS: 'chat',
  }
}

export function emulatorVars(
  emulator: RunningEmulator,
  overrides: NegotiatorVars = {},
): NegotiatorVars {
  return { ...emulatorEnv(emulator), ...overrides }
}

/**
 * Access-key mode: the emulator's connection string alone, no AZURE_* and no WEBPUBSUB_ENDPOINT
 * (the emulator must have been started with an access key).
 */
export function accessKeyVars(
  emulator: RunningEmulator,
  overrides: NegotiatorVars = {},
): NegotiatorVars {
  return {
    AUTH_MODE: 'anonymous',
    WEBPUBSUB_CONNECTION_STRING: emulator.demo.connectionString ?? '',
    WEBPUBSUB_HUBS: 'chat',
    ...overrides,
  }
}

/** jwt mode: callers present user tokens from the emulator's OpenID issuer for `audience`. */
export function jwtModeVars(emulator: RunningEmulator, audience: string): NegotiatorVars {
  return { AUTH_MODE: 'jwt', AUTH_ISSUER: emulator.demo.oidcIssuer, AUTH_AUDIENCE: audience }
}
