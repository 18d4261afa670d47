// The emulator's public types, re-exported by index.ts (other code depends on this exact shape).
import type { ClientService } from './client/index'
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { EmulatorState, ResourceState } from './state'

export interface EmulatorOptions {
  /** Default 0 (a random port); main.ts uses 8788. */
  port?: number
  /** Default '127.0.0.1'. */
  host?: string
  /** Serve https with a self-signed certificate made at start (SAN 127.0.0.1 + localhost, its own CA). */
  tls?: boolean
  /** With tls: also write cert.pem (certificate only) here, for NODE_EXTRA_CA_CERTS in child processes. */
  tlsDir?: string
  /** JSON config (see emulator.config.example.json); default: the built-in demo config. */
  configFile?: string
  /** No request logging. */
  quiet?: boolean
  /**
   * Enable local auth with this access key (overrides the config file's accessKey): connects also
   * accept HS256 tokens signed with it, and `demo.connectionString` is set.
   */
  accessKey?: string
  /**
   * How many Web PubSub resources to run (1–5; default: the config file's `resources`, else 1).
   * Resource 0 is the main origin; each further one listens on its own port (`port + i`, or a
   * random one when `port` is 0) and serves only the data plane, trusting the main origin's Entra.
   */
  resources?: number
}

/** One Web PubSub resource of the emulator (README: "Several resources"). */
export interface EmulatorResource {
  /** 0 for the main origin. */
  index: number
  /** Its endpoint (the origin of its data plane, WebSocket clients and control API). */
  url: string
  port: number
  server: HttpServer | HttpsServer
  /** With an access key: this resource's own (resource 0: the given one; others: derived). */
  accessKey?: string
  /** With an access key: `Endpoint=<url>;AccessKey=<accessKey>;Version=1.0;`. */
  connectionString?: string
  /**
   * Its counters, faults, chaos, latency, client-token signer, `down` switch and `roleOverrides`.
   * `resources[0].state` is `RunningEmulator.state`, whose reset() resets every resource.
   */
  state: ResourceState
  /** Its WebSocket client service: connections are per resource. */
  clientService: ClientService
}

export interface DemoApp {
  clientId: string
  clientSecret?: string
  /** PKCS#8 PRIVATE KEY block followed by the CERTIFICATE block. */
  certificatePem?: string
  /** A built-in role's name, or a custom role's `Name`. */
  role: string
}

export interface DemoCredentials {
  tenantId: string
  /** = url */
  authorityHost: string
  /** = url (the Web PubSub endpoint) */
  endpoint: string
  scope: 'https://webpubsub.azure.com/.default'
  /** = url + '/oidc': the local OpenID Connect issuer of user tokens (AUTH_ISSUER in `jwt` mode). */
  oidcIssuer: string
  /** With an access key: `Endpoint=<url>;AccessKey=<key>;Version=1.0;`, as the portal shows it. */
  connectionString?: string
  /** One endpoint per resource; index 0 = endpoint. */
  endpoints: string[]
  /** With an access key: one connection string per resource; index 0 = connectionString. */
  connectionStrings?: string[]
  apps: {
    ownerSecret: DemoApp
    ownerCertificate: DemoApp
    reader: DemoApp
    noRole: DemoApp
    expiredSecret: DemoApp
  }
}

export interface RunningEmulator {
  /** e.g. http://127.0.0.1:41234 (https:// when tls) */
  url: string
  port: number
  /** A WebSocket 'upgrade' handler may be attached to it. */
  server: HttpServer | HttpsServer
  /** With tls + tlsDir: the written certificate. */
  caCertPath?: string
  /** With tls: the certificate (its own CA). */
  caCertPem?: string
  demo: DemoCredentials
  /** Addition to the agreed shape: the live state (signer, apps, counters) for the WebSocket side and tests. */
  state: EmulatorState
  /** The WebSocket client endpoint (emulator/client): counters, server sends, closes. */
  clientService: ClientService
  /** Every Web PubSub resource; resources[0] is this origin (same url, state and clientService). */
  resources: EmulatorResource[]
  /** Ends hanging requests and open connections, then stops listening. */
  close(): Promise<void>
}
