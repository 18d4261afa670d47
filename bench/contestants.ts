// Starts the parties: the TLS emulator, the official-SDK server on Node, and (workers.ts) the Workers on Miniflare.
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { startChild, type Child } from './children'
import type { EmulatorReady } from './emulator-process'
import type { Resources } from './resources'
import type { SdkServerArgs, SdkServerReady } from './sdk-server'
import { HUB, ROLES, workerStarters, type Server, type WorkerStarters } from './workers'

const removeFolder = (path: string) => rm(path, { recursive: true, force: true })

export interface Stage {
  emulator: Child<EmulatorReady>
  /** This run's folder under the repository (removed at the end), for bundles and KV folders. */
  workDirectory: string
  /** Holds the copy of src/ that every start of ours bundles (see prepareStage). */
  sourceRoot: string
  start: WorkerStarters & { sdk(): Promise<Server> }
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
  // Ours is bundled again for every cold start, minutes after the first: from a copy of src/
  // taken now, so that edits others make to the tree meanwhile do not change what is measured.
  // Its packages still resolve from the repository's node_modules, a few folders up.
  await cp(join(root, 'src'), join(workDirectory, 'src'), { recursive: true })
  const [emulator, sdkScript] = await settleBoth([
    startEmulatorProcess(root, resources),
    compileSdkServer(root, workDirectory, resources),
  ])
  const { demo, caCertPath } = emulator.ready
  const app = demo.apps.ownerSecret

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
    workDirectory,
    sourceRoot: workDirectory,
    start: { ...workerStarters(root, resources, workDirectory, emulator.ready), sdk },
  }
}
