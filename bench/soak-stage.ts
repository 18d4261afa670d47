// Starts what the soak drives: the emulator in its own process, and the wrapped negotiator in workerd with its inspector.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { startNegotiator } from '../test/support/negotiator-process'
import { startChild, type Child } from './children'
import { childPids } from './proc'
import type { Resources } from './resources'
import type { SoakEmulatorReady } from './soak-emulator'
import { connectHeapReader, type HeapReader } from './soak-heap'

export const HUB = 'chat'
const POLICY = { hubs: { [HUB]: { roles: ['webpubsub.joinLeaveGroups.room.*'], groups: [] } } }

/**
 * What was bundled: the commit, and a SHA-256 over every file under src/ (path and content), taken
 * just before bundling. Others may edit src/ while the soak runs; this ties figures to a source.
 */
export async function describeSource(
  root: string,
): Promise<{ gitHead?: string; srcSha256: string }> {
  const hash = createHash('sha256')
  const files = (await readdir(join(root, 'src'), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
  for (const file of files) hash.update(`${relative(root, file)}\0`).update(await readFile(file))
  let gitHead: string | undefined
  try {
    gitHead = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    // Not a git checkout: the digest alone identifies the source.
  }
  return { gitHead, srcSha256: hash.digest('hex') }
}

export interface SoakStage {
  emulator: Child<SoakEmulatorReady>
  negotiatorUrl: string
  /** The workerd process that runs the negotiator; undefined without /proc. */
  workerdPid: number | undefined
  heap: HeapReader
  source: { gitHead?: string; srcSha256: string }
}

/** `webpubsubResources` 2: the emulator runs a secondary, and the negotiator fails over to it. */
export async function startSoakStage(
  root: string,
  resources: Resources,
  webpubsubResources = 1,
): Promise<SoakStage> {
  const emulator = await resources.track(
    startChild<SoakEmulatorReady>({
      script: join(root, 'bench', 'soak-emulator.ts'),
      args: [String(webpubsubResources)],
      signal: resources.abort.signal,
    }),
  )
  resources.add(
    () => emulator.stop(),
    () => emulator.process.kill('SIGKILL'),
  )
  const { url, demo } = emulator.ready
  // Miniflare wants the bundle under the repository; removed at the end, even on SIGINT.
  const base = join(root, '.wrangler', 'soak')
  await mkdir(base, { recursive: true })
  const workDirectory = await mkdtemp(join(base, 'run-'))
  resources.addFolder(workDirectory, (path) => rm(path, { recursive: true, force: true }))
  const source = await describeSource(root)
  const before = new Set(childPids('workerd'))
  const negotiator = await resources.track(
    startNegotiator({
      vars: {
        // Anonymous: every negotiation gets a random user id, as many different browsers would.
        AUTH_MODE: 'anonymous',
        AZURE_TENANT_ID: demo.tenantId,
        AZURE_CLIENT_ID: demo.apps.ownerSecret.clientId,
        AZURE_CLIENT_SECRET: demo.apps.ownerSecret.clientSecret ?? '',
        AZURE_AUTHORITY_HOST: url,
        WEBPUBSUB_ENDPOINT: url,
        ...(demo.endpoints.length > 1
          ? { WEBPUBSUB_SECONDARY_ENDPOINTS: demo.endpoints.slice(1).join(',') }
          : {}),
        WEBPUBSUB_HUBS: HUB,
        POLICY,
      },
      wrapper: join(root, 'bench', 'soak-worker.ts'),
      inspector: true,
      workDirectory,
    }),
  )
  resources.add(() => negotiator.dispose())
  const workerdPid = childPids('workerd').find((pid) => !before.has(pid))
  const heap = await connectHeapReader(negotiator.inspectorUrl ?? '')
  resources.add(async () => heap.close())
  return { emulator, negotiatorUrl: negotiator.url, workerdPid, heap, source }
}

/** Sequential fault-free negotiations that must all succeed before faults start: the setup check. */
export const SETUP_CHECK_NEGOTIATIONS = 20

/** Throws, with the answer, unless SETUP_CHECK_NEGOTIATIONS negotiations in a row succeed. */
export async function checkSetup(negotiateUrl: string, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < SETUP_CHECK_NEGOTIATIONS; i++) {
    const response = await fetch(negotiateUrl, { signal })
    const body = await response.text()
    if (response.status !== 200)
      throw new Error(
        `the negotiator fails without faults: ${response.status} ${body.slice(0, 500)}`,
      )
  }
}
