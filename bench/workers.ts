// The contestants that run in workerd through Miniflare: our negotiator (anonymous or jwt, Entra or access key), the naive Workers, the "ok" Worker.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { startNegotiator, type NegotiatorOptions } from '../test/support/negotiator-process'
import type { DemoCredentials } from '../emulator/index'
import type { EmulatorReady } from './emulator-process'
import { childPids } from './proc'
import type { Resources } from './resources'

export const HUB = 'chat'

/** The Azure variables of every negotiating Worker: the emulator's Owner app with a secret. */
export function azureVars(demo: DemoCredentials): Record<string, string> {
  const app = demo.apps.ownerSecret
  return {
    AZURE_TENANT_ID: demo.tenantId,
    AZURE_CLIENT_ID: app.clientId,
    AZURE_CLIENT_SECRET: app.clientSecret ?? '',
    AZURE_AUTHORITY_HOST: demo.authorityHost,
    WEBPUBSUB_ENDPOINT: demo.endpoint,
  }
}
/** The same rights for everyone: our policy grants them, the naive Worker and the SDK ask for them. */
export const ROLES = ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*']
const POLICY = { hubs: { [HUB]: { roles: ROLES, groups: [] } } }

export interface Server {
  url: string
  /** The serving process (workerd, or the SDK's Node), for CPU and memory; undefined if unknown. */
  pid: number | undefined
  stop(): Promise<void>
}

export interface OursOptions {
  /** anonymous (default): a random user id per negotiation; jwt: callers show a user token. */
  auth?: 'anonymous' | 'jwt'
  /**
   * entra (default): the Owner app's secret, an Entra token and an Auth API call per token;
   * access-key: the emulator's connection string alone, tokens signed in the Worker.
   */
  credentials?: 'entra' | 'access-key'
  /** LOG_LEVEL; unset, the Worker's default (info: one audit line per negotiation). */
  logLevel?: 'warn'
  /** Keep KV in this folder, for a later new isolate to find (see NegotiatorOptions). */
  kvPersist?: string
}

export interface WorkerStarters {
  ours(options?: OursOptions): Promise<Server>
  naive(): Promise<Server>
  /** The naive Worker of access-key mode (naive-key-worker.ts): one HS256 signature, no checks. */
  naiveKey(): Promise<Server>
  /** A Worker that only answers "ok": workerd's own floor on this setup. */
  ok(): Promise<Server>
}

/** `workDirectory` holds this run's copy of src/ (contestants.ts), which ours is bundled from. */
export function workerStarters(
  root: string,
  resources: Resources,
  workDirectory: string,
  emulator: EmulatorReady,
): WorkerStarters {
  const { demo, caCertPem } = emulator
  const azure = azureVars(demo)
  const connectionString = (): string => {
    if (demo.connectionString === undefined)
      throw new Error('the emulator has no access key (bench/emulator-process.ts gives it one)')
    return demo.connectionString
  }
  // Each workerd's pid is found as the one new child since the start began: one start at a time.
  let queue: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(start: () => Promise<T>): Promise<T> => {
    const next = queue.then(start, start)
    queue = next.catch(() => {})
    return next
  }
  const withPid = async (start: () => Promise<Omit<Server, 'pid'>>): Promise<Server> => {
    const before = new Set(childPids('workerd'))
    const server = await start()
    return { ...server, pid: childPids('workerd').find((pid) => !before.has(pid)) }
  }
  const negotiator = (options: Omit<NegotiatorOptions, 'workDirectory' | 'trustedCertificates'>) =>
    oneAtATime(() =>
      withPid(async () => {
        // workerd trusts the emulator's certificate as production trusts Azure's.
        const running = await resources.track(
          startNegotiator({ ...options, trustedCertificates: [caCertPem], workDirectory }),
        )
        return { url: running.url, stop: resources.add(() => running.dispose()) }
      }),
    )

  return {
    ours: (options = {}) =>
      negotiator({
        vars: {
          // One source of truth for the endpoint: access-key mode refuses any Entra variable.
          ...(options.credentials === 'access-key'
            ? { WEBPUBSUB_CONNECTION_STRING: connectionString() }
            : azure),
          WEBPUBSUB_HUBS: HUB,
          POLICY,
          ...(options.auth === 'jwt'
            ? { AUTH_MODE: 'jwt', AUTH_ISSUER: demo.oidcIssuer, AUTH_AUDIENCE: AUDIENCE }
            : { AUTH_MODE: 'anonymous' }),
          ...(options.logLevel === undefined ? {} : { LOG_LEVEL: options.logLevel }),
        },
        kvPersist: options.kvPersist,
        entry: join(workDirectory, 'src', 'index.ts'),
      }),
    naive: () =>
      negotiator({
        vars: { ...azure, HUB, ROLES },
        entry: join(root, 'bench', 'naive-worker.ts'),
      }),
    naiveKey: () =>
      negotiator({
        vars: { WEBPUBSUB_CONNECTION_STRING: connectionString(), HUB, ROLES },
        entry: join(root, 'bench', 'naive-key-worker.ts'),
      }),
    ok: () => oneAtATime(() => withPid(() => startOkWorker(root, resources))),
  }
}

/** The audience of the emulator's development user tokens when a request names none. */
const AUDIENCE = 'webpubsub-negotiator'

async function startOkWorker(root: string, resources: Resources): Promise<Omit<Server, 'pid'>> {
  const toml = await readFile(join(root, 'wrangler.toml'), 'utf8')
  const compatibilityDate = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1]
  // The same Miniflare class, host and port choice as test/support/negotiator-process.ts.
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch: () => new Response(\'{"status":"ok"}\') }',
    compatibilityDate,
    host: '127.0.0.1',
    port: 0,
  })
  const stop = resources.add(() => mf.dispose())
  return { url: (await mf.ready).origin, stop }
}
