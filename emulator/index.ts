// The emulator's module API: startEmulator() serves local Entra + Web PubSub REST on one origin,
// and with `resources: n` further Web PubSub resources on their own ports (emulator/resources/).
//
// State (emulator/state.ts, `RunningEmulator.state`): one mutable object shared by every route.
//   apps              clientId → { objectId, secrets, certificates }   (demo apps + config + control API)
//   roleAssignments   clientId → 'owner' | 'reader' | 'none'          (Service Owner / Reader role)
//   entraKey          RSA key signing Entra access tokens; its JWK is served at the jwks_uri
//   oidcKeys          RS256 + ES256 keys of the local OpenID issuer (emulator/oidc); reset() keeps them
//   clientTokenSigner HS256 signer of client tokens (emulator/client-token.ts): `:generateToken`
//                     signs with it, the WebSocket service verifies with the same instance (and,
//                     with an access key, also accepts tokens signed with that key)
//   settings          token lifetime / refresh_in;  counters, faults, chaos, faultCounts, latencyMs:
//                     per route name (chaos: seeded random faults, emulator/control/chaos.ts)
//   jtiSeen           client-assertion jti replay cache;  closing: aborted by close()
//   now()             the clock (ms); reset() restores everything but the keys to the config's
//   down, roleOverrides  resource 0's outage switch and per-resource roles;  otherResources: the
//                     states of resources 1…n−1 (own counters, faults, signer, switches; Entra
//                     shared), reset by reset() too
// Reuse `authorizeRequest` (emulator/webpubsub/authorize.ts) for further data-plane routes.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadConfig } from './config'
import { DEMO_APPS } from './demo'
import { createClientService } from './client/index'
import { createApp } from './http/app'
import { closeServer, listen, serve } from './http/server'
import { WEBPUBSUB_SCOPE } from './entra/access-token'
import { createSelfSigned, type SelfSigned } from './lib/self-signed'
import { connectionString, resourceAccessKey } from './resources/access-key'
import { isResourceCount, MAX_RESOURCES, MIN_RESOURCES } from './resources/count'
import { startOtherResources } from './resources/start'
import { roleName } from './roles'
import { createEmulatorState, type EmulatorState } from './state'
import type {
  DemoApp,
  DemoCredentials,
  EmulatorOptions,
  EmulatorResource,
  RunningEmulator,
} from './types'

// Every type of ./types is part of the module API.
export type * from './types'
export type { EmulatorState, ResourceState } from './state'
export { authorizeRequest, DATA_ACTIONS } from './webpubsub/authorize'

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1'
  const config = await loadConfig(options.configFile)
  if (options.accessKey !== undefined) {
    if (options.accessKey === '' || options.accessKey.includes(';'))
      throw new Error('accessKey must be a non-empty string without ";"')
    config.accessKey = options.accessKey
  }
  const resourceCount = options.resources ?? config.resources ?? 1
  if (!isResourceCount(resourceCount))
    throw new Error(`resources must be an integer ${MIN_RESOURCES}–${MAX_RESOURCES}`)
  const [demoCertificate, tlsCertificate] = await Promise.all([
    createSelfSigned({ commonName: 'webpubsub-emulator-demo-app' }),
    options.tls
      ? createSelfSigned({
          commonName: '127.0.0.1',
          dnsNames: ['localhost'],
          ipAddresses: ['127.0.0.1'],
          serverAuth: true,
        })
      : undefined,
  ])
  const state = await createEmulatorState({ config, demoCertificate })

  const { server, port, url } = await listen(tlsCertificate, options.port ?? 0, host)
  const others = await startOtherResources(state, resourceCount, {
    host,
    // A fixed main port gives the others fixed ports next to it, for dev configs to name.
    basePort: options.port ? port : 0,
    certificate: tlsCertificate,
    quiet: options.quiet ?? false,
  }).catch(async (error: unknown) => {
    await closeServer(server, state.closing)
    throw error
  })
  const endpoints = [url, ...others.map((resource) => resource.url)]
  const demo = demoCredentials(state, url, endpoints)
  const clientService = createClientService({
    signer: state.clientTokenSigner,
    nowMs: () => state.now(),
    log: options.quiet ? undefined : (line) => console.log(JSON.stringify(line)),
  })
  const app = createApp(state, {
    credentials: () => demoCredentials(state, url, endpoints),
    quiet: options.quiet ?? false,
    clientService,
    oidcIssuer: demo.oidcIssuer,
    otherClientServices: others.map((resource) => resource.clientService),
  })
  serve(server, app, state, clientService)

  let caCertPath: string | undefined
  if (tlsCertificate && options.tlsDir !== undefined) {
    await mkdir(options.tlsDir, { recursive: true })
    caCertPath = join(options.tlsDir, 'cert.pem')
    await writeFile(caCertPath, tlsCertificate.certificatePem)
  }

  const main: EmulatorResource = {
    index: 0,
    url,
    port,
    server,
    ...(config.accessKey === undefined
      ? {}
      : { accessKey: config.accessKey, connectionString: demo.connectionString }),
    state,
    clientService,
  }
  return {
    url,
    port,
    server,
    caCertPath,
    caCertPem: tlsCertificate?.certificatePem,
    demo,
    state,
    clientService,
    resources: [main, ...others.map(({ close: _close, ...resource }) => resource)],
    close: async () => {
      await Promise.all([clientService.close(), ...others.map((r) => r.clientService.close())])
      await Promise.all([
        closeServer(server, state.closing),
        ...others.map((r) => closeServer(r.server, state.closing)),
      ])
    },
  }
}

/** The demo apps as clients see them; roles follow the live role assignments. */
export function demoCredentials(
  state: EmulatorState,
  url: string,
  endpoints: readonly string[] = [url],
): DemoCredentials {
  const { accessKey } = state.config
  const app = (key: (typeof DEMO_APPS)[number]['key']): DemoApp => {
    const seed = DEMO_APPS.find((s) => s.key === key)!
    const result: DemoApp = { clientId: seed.clientId, role: roleName(state.roleOf(seed.clientId)) }
    if (seed.secret) result.clientSecret = seed.secret.value
    if (seed.certificate) result.certificatePem = certificateBundle(state.demoCertificate)
    return result
  }
  return {
    tenantId: state.tenantId,
    authorityHost: url,
    endpoint: url,
    scope: WEBPUBSUB_SCOPE,
    oidcIssuer: `${url}/oidc`,
    ...(accessKey === undefined
      ? {}
      : {
          connectionString: connectionString(url, accessKey),
          connectionStrings: endpoints.map((endpoint, i) =>
            connectionString(endpoint, resourceAccessKey(accessKey, i)),
          ),
        }),
    endpoints: [...endpoints],
    apps: {
      ownerSecret: app('ownerSecret'),
      ownerCertificate: app('ownerCertificate'),
      reader: app('reader'),
      noRole: app('noRole'),
      expiredSecret: app('expiredSecret'),
    },
  }
}

function certificateBundle(cert: SelfSigned): string {
  return cert.privateKeyPem + cert.certificatePem
}
