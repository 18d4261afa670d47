// The emulator's module API: startEmulator() serves local Entra + Web PubSub REST on one origin.
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
// Reuse `authorizeRequest` (emulator/webpubsub/authorize.ts) for further data-plane routes.
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { loadConfig } from './config'
import { DEMO_APPS } from './demo'
import { createClientService } from './client/index'
import { createApp } from './http/app'
import { WEBPUBSUB_SCOPE } from './entra/access-token'
import { createSelfSigned, type SelfSigned } from './lib/self-signed'
import { roleName } from './roles'
import { createEmulatorState, type EmulatorState } from './state'
import type { DemoApp, DemoCredentials, EmulatorOptions, RunningEmulator } from './types'

export type { DemoApp, DemoCredentials, EmulatorOptions, RunningEmulator } from './types'
export type { EmulatorState } from './state'
export { authorizeRequest, DATA_ACTIONS } from './webpubsub/authorize'

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1'
  const config = await loadConfig(options.configFile)
  if (options.accessKey !== undefined) {
    if (options.accessKey === '' || options.accessKey.includes(';'))
      throw new Error('accessKey must be a non-empty string without ";"')
    config.accessKey = options.accessKey
  }
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

  const server = tlsCertificate
    ? createHttpsServer({ cert: tlsCertificate.certificatePem, key: tlsCertificate.privateKeyPem })
    : createHttpServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `${tlsCertificate ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`
  const demo = demoCredentials(state, url)
  const clientService = createClientService({
    signer: state.clientTokenSigner,
    nowMs: () => state.now(),
    log: options.quiet ? undefined : (line) => console.log(JSON.stringify(line)),
  })
  const app = createApp(state, {
    credentials: () => demoCredentials(state, url),
    quiet: options.quiet ?? false,
    clientService,
    oidcIssuer: demo.oidcIssuer,
  })
  server.on('request', getRequestListener(app.fetch))
  // WebSocket clients connect on the same origin as the REST API, as on Azure.
  server.on('upgrade', (request, socket, head) => {
    if (!clientService.handleUpgrade(request, socket, head)) socket.destroy()
  })

  let caCertPath: string | undefined
  if (tlsCertificate && options.tlsDir !== undefined) {
    await mkdir(options.tlsDir, { recursive: true })
    caCertPath = join(options.tlsDir, 'cert.pem')
    await writeFile(caCertPath, tlsCertificate.certificatePem)
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
    close: async () => {
      await clientService.close()
      await closeServer(server, state)
    },
  }
}

function closeServer(server: RunningEmulator['server'], state: EmulatorState): Promise<void> {
  // Release hanging/delayed requests first, then drop every socket so close() returns promptly.
  state.closing.abort()
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** The demo apps as clients see them; roles follow the live role assignments. */
export function demoCredentials(state: EmulatorState, url: string): DemoCredentials {
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
    ...(state.config.accessKey === undefined
      ? {}
      : { connectionString: `Endpoint=${url};AccessKey=${state.config.accessKey};Version=1.0;` }),
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
