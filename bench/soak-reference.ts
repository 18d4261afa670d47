// `--reference`: the same load against a Worker that only answers, on the same Miniflare setup: the runtime's own RSS growth.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Miniflare } from 'miniflare'
import { childPids } from './proc'
import type { Resources } from './resources'
import { createSoakProgress, runSoakLoad } from './soak-load'
import { createMemoryMonitor } from './soak-memory'
import { rssFits, type SoakReport } from './soak-report'

// A body of the negotiator's size and shape, so the load generator treats it as a negotiation.
const SCRIPT = `const body = JSON.stringify({ baseUrl: 'ws://127.0.0.1/client/hubs/chat', token: 'x'.repeat(300), url: 'ws://127.0.0.1/client/hubs/chat?access_token=' + 'x'.repeat(300) })
export default { fetch: () => new Response(body, { headers: { 'content-type': 'application/json' } }) }`

export interface ReferenceOptions {
  root: string
  negotiations: number
  concurrency: number
  warmup: number
  resources: Resources
  log: (line: string) => void
}

export async function runReference(options: ReferenceOptions): Promise<SoakReport['reference']> {
  const { resources } = options
  const toml = await readFile(join(options.root, 'wrangler.toml'), 'utf8')
  const before = new Set(childPids('workerd'))
  // As test/support/negotiator-process.ts starts the negotiator, KV binding included.
  const mf = new Miniflare({
    modules: true,
    script: SCRIPT,
    compatibilityDate: /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml)?.[1],
    kvNamespaces: ['TOKEN_CACHE'],
    host: '127.0.0.1',
    port: 0,
  })
  const stop = resources.add(() => mf.dispose())
  const url = (await resources.track(mf.ready)).origin
  const workerdPid = childPids('workerd').find((pid) => !before.has(pid))
  const progress = createSoakProgress(options.negotiations)
  const monitor = createMemoryMonitor({ workerdPid, progress, liveHeapAt: [] })
  options.log(`reference: ${options.negotiations} requests to a Worker that only answers`)
  const startedAt = performance.now()
  await monitor.start()
  try {
    await runSoakLoad(
      {
        url: `${url}/negotiate`,
        total: options.negotiations,
        concurrency: options.concurrency,
        signal: resources.abort.signal,
      },
      progress,
    )
  } finally {
    await monitor.stop()
  }
  const wallTimeMs = performance.now() - startedAt
  await stop()
  return {
    negotiations: progress.done,
    failures: progress.failures.total,
    requestsPerSecond: (progress.done * 1000) / wallTimeMs,
    rss: {
      warmupNegotiations: options.warmup,
      samples: monitor.samples,
      ...rssFits(monitor.samples, options.warmup),
    },
  }
}
