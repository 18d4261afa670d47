// Starts the three parties: the TLS emulator, our negotiator in workerd, and the official-SDK server.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { startNegotiator } from '../test/support/negotiator-process'
import { startChild, type Child } from './children'
import type { EmulatorReady } from './emulator-process'
import { childPids } from './proc'
import type { Resources } from './resources'
import type { SdkServerArgs, SdkServerReady } from './sdk-server'
import type { ContestantName } from './types'

export const HUB = 'chat'
const removeFolder = (path: string) => rm(path, { recursive: true, force: true })
// The same rights on both sides: our policy grants them, the SDK server asks for them.
const ROLES = ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*']
const POLICY = { hubs: { [HUB]: { roles: ROLES, groups: [] } } }

export interface Server {
  url: string
  /** The serving process (workerd, or the SDK's Node), for CPU and memory; undefined if unknown. */
  pid: number | undefined
  stop(): Promise<void>
}

export interface Stage {
  emulator: Child<EmulatorReady>
  start: Record<ContestantName, () => Promise<Server>>
  /** A Worker that only answers "ok", on Miniflare as the negotiator runs: workerd's own floor. */
  startReference: () => Promise<Server>
}

export async function startEmulatorProcess(
  root: string,
  resources: Resources,
): Promise<Child<EmulatorReady>> {
  const tlsDir = await mkdtemp(join(tmpdir(), 'negotiator-bench-tls-'))
  resources.addFolder(tlsDir, removeFolder)
  const emulator = await resources.track(
    startChild<EmulatorReady>({
      script: join(root, 'bench', 'emulator-process.ts'),
      args: [tlsDir],
      ipc: true,
      signal: resources.abort.signal,
    }),
  )
  resources.add(
    () => emulator.stop(),
    () => emulator.process.kill('SIGKILL'),
  )
  return emulator
}

/**
 * This run's folder under the repository: the compiled SDK server needs node_modules beside it,
 * and Miniflare wants the Worker bundle under its modulesRoot. Removed even on SIGINT.
 */
async function workFolder(root: string, resources: Resources): Promise<string> {
  const base = join(root, '.wrangler', 'bench')
  await mkdir(base, { recursive: true })
  const folder = await mkdtemp(join(base, 'run-'))
  resources.addFolder(folder, removeFolder)
  return folder
}

/** Compiles sdk-server.ts to plain JS, so the SDK child runs on Node without tsx. */
async function compileSdkServer(
  root: string,
  workDirectory: string,
  resources: Resources,
): Promise<string> {
  const outfile = join(workDirectory, 'sdk-server.mjs')
  await resources.track(
    build({
      entryPoints: [join(root, 'bench', 'sdk-server.ts')],
      outfile,
      bundle: true,
      // The Azure packages load from node_modules as `npm install` + `node server.js` would.
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    }),
  )
  return outfile
}

/**
 * Like Promise.all for two starts, but waits for both before failing: a start still under way
 * when its sibling fails must finish and register itself, or nobody would stop what it started.
 */
export async function settleBoth<A, B>(starts: [Promise<A>, Promise<B>]): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled(starts)
  if (a.status === 'rejected') throw a.reason
  if (b.status === 'rejected') throw b.reason
  return [a.value, b.value]
}

export async function prepareStage(root: string, resources: Resources): Promise<Stage> {
  const workDirectory = await workFolder(root, resources)
  const [emulator, sdkScript] = await settleBoth([
    startEmulatorProcess(root, resources),
    compileSdkServer(root, workDirectory, resources),
  ])
  const { demo, caCertPem, caCertPath } = emulator.ready
  const app = demo.apps.ownerSecret

  const ours = async (): Promise<Server> => {
    const before = new Set(childPids('workerd'))
    // workerd trusts the emulator's certificate as production trusts Azure's (protocols.test.ts).
    const negotiator = await resources.track(
      startNegotiator({
        vars: {
          AUTH_MODE: 'anonymous',
          AZURE_TENANT_ID: demo.tenantId,
          AZURE_CLIENT_ID: app.clientId,
          AZURE_CLIENT_SECRET: app.clientSecret ?? '',
          AZURE_AUTHORITY_HOST: demo.authorityHost,
          WEBPUBSUB_ENDPOINT: demo.endpoint,
          WEBPUBSUB_HUBS: HUB,
          POLICY,
        },
        trustedCertificates: [caCertPem],
        workDirectory,
      }),
    )
    const stop = resources.add(() => negotiator.dispose())
    const pid = childPids('workerd').find((candidate) => !before.has(candidate))
    return { url: negotiator.url, pid, stop }
  }

  const sdk = async (): Promise<Server> => {
    const args: SdkServerArgs = {
      endpoint: demo.endpoint,
      authorityHost: demo.authorityHost,
      tenantId: demo.tenantId,
      clientId: app.clientId,
      clientSecret: app.clientSecret ?? '',
      hub: HUB,
      roles: ROLES,
    }
    const child = await resources.track(
      startChild<SdkServerReady>({
        script: sdkScript,
        args: [JSON.stringify(args)],
        // The SDK refuses plain http, and Node reads extra CAs only at process start.
        env: { ...process.env, NODE_EXTRA_CA_CERTS: caCertPath },
        signal: resources.abort.signal,
      }),
    )
    const stop = resources.add(
      () => child.stop(),
      () => child.process.kill('SIGKILL'),
    )
    return { url: child.ready.url, pid: child.pid, stop }
  }

  return {
    emulator,
    start: { ours, sdk },
    startReference: () => startReferenceWorker(root, resources),
  }
}

async function startReferenceWorker(root: string, resources: Resources): Promise<Server> {
  const toml = await readFile(join(root, 'wrangler.toml'), 'utf8')
  const compatibilityDate = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1]
  const before = new Set(childPids('workerd'))
  // The same Miniflare class, host and port choice as test/support/negotiator-process.ts.
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch: () => new Response(\'{"status":"ok"}\') }',
    compatibilityDate,
    host: '127.0.0.1',
    port: 0,
  })
  const stop = resources.add(() => mf.dispose())
  const url = (await mf.ready).origin
  const pid = childPids('workerd').find((candidate) => !before.has(candidate))
  return { url, pid, stop }
}
