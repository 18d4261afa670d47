// `npm run profile:workerd`: ours and the naive Worker in workerd against the emulator, side by side at c=20, then a CPU profile of each isolate through workerd's inspector.
//
// The in-Node profile (bench/profile.ts) isolates our code; this one shows what the platform adds
// around it (fetch, timers, crypto, console) in the runtime that production uses. Plain http to
// an in-process emulator, so the numbers are not the bench's (TLS, emulator in its own process):
// read the ratio and the profile, and take claims from `npm run bench`.
//
//   npm run profile:workerd                 # 3 rounds × 3 s per contestant, top 30 functions each
//   npm run profile:workerd -- --seconds 5 --top 50
//   npm run profile:workerd -- --log-level warn   # ours without the audit line
//   npm run profile:workerd -- --auth jwt         # ours: one caller again and again (a verified
//                                                 # user token, its client token reused); naive
//                                                 # as always, for scale
import { parseArgs } from 'node:util'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmulator } from '../emulator/index'
import { startNegotiator, type RunningNegotiator } from '../test/support/negotiator-process'
import { connectInspector } from './inspector'
import { azureVars, HUB, ROLES } from './workers'

const ANSWER_TIMEOUT_MS = 30_000

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '20' },
    top: { type: 'string', default: '30' },
    // Ours with another LOG_LEVEL, e.g. `warn` to see what the audit line costs.
    'log-level': { type: 'string', default: 'info' },
    auth: { type: 'string', default: 'anonymous' },
  },
})
const SEGMENT_MS = Number(values.seconds) * 1000
const ROUNDS = Number(values.rounds)
const CONCURRENCY = Number(values.concurrency)
const TOP = Number(values.top)
const JWT = values.auth === 'jwt'
/** The audience the emulator's development user tokens carry when asked for none. */
const AUDIENCE = 'webpubsub-negotiator'
const emulator = await startEmulator({ quiet: true })
const azure = azureVars(emulator.demo)
const workDirectory = join(ROOT, '.wrangler', 'profile')
const servers: Record<'ours' | 'naive', RunningNegotiator> = {
  ours: await startNegotiator({
    vars: {
      ...azure,
      WEBPUBSUB_HUBS: HUB,
      POLICY: { hubs: { [HUB]: { roles: ROLES, groups: [] } } },
      ...(JWT
        ? { AUTH_MODE: 'jwt', AUTH_ISSUER: emulator.demo.oidcIssuer, AUTH_AUDIENCE: AUDIENCE }
        : { AUTH_MODE: 'anonymous' }),
      LOG_LEVEL: values['log-level'],
    },
    inspector: true,
    workDirectory,
  }),
  naive: await startNegotiator({
    vars: { ...azure, HUB, ROLES },
    entry: join(ROOT, 'bench', 'naive-worker.ts'),
    inspector: true,
    workDirectory,
  }),
}

/** In jwt mode, ours is called by one user; the naive Worker ignores the header. */
const headers: Record<string, string> = JWT
  ? {
      authorization: `Bearer ${
        (
          (await (
            await fetch(`${emulator.demo.oidcIssuer}/dev/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ sub: 'profile-repeat-user' }),
            })
          ).json()) as { token: string }
        ).token
      }`,
    }
  : {}

async function segment(url: string, ms: number): Promise<number> {
  let done = 0
  const endAt = performance.now() + ms
  const loop = async () => {
    while (performance.now() < endAt) {
      const response = await fetch(`${url}/negotiate?hub=${HUB}`, { headers })
      if (response.status !== 200)
        throw new Error(`status ${response.status}: ${await response.text()}`)
      await response.arrayBuffer()
      done += 1
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, loop))
  return done / ((performance.now() - started) / 1000)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

async function profile(name: 'ours' | 'naive'): Promise<void> {
  const cdp = await connectInspector(servers[name].inspectorUrl ?? '')
  await cdp.send('Profiler.enable', {}, ANSWER_TIMEOUT_MS)
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 }, ANSWER_TIMEOUT_MS)
  await cdp.send('Profiler.start', {}, ANSWER_TIMEOUT_MS)
  const rps = await segment(servers[name].url, SEGMENT_MS)
  const { profile } = (await cdp.send('Profiler.stop', {}, ANSWER_TIMEOUT_MS)) as {
    profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }
  }
  cdp.close()
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  let total = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame
    const delta = profile.timeDeltas[i] ?? 0
    total += delta
    if (frame.functionName === '(idle)') idle += delta
    const key = `${frame.functionName || '(anonymous)'}${frame.url === '' ? '' : ` ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`}`
    self.set(key, (self.get(key) ?? 0) + delta)
  })
  const busy = total - idle
  console.log(
    `\n${name}: ${rps.toFixed(0)} req/s while profiled; isolate busy ${((busy / total) * 100).toFixed(0)}% of ${(total / 1000).toFixed(0)} ms, ${(busy / (rps * (SEGMENT_MS / 1000))).toFixed(0)} µs of JS per request`,
  )
  for (const [key, us] of [...self]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)) {
    console.log(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${key}`)
  }
}

try {
  for (const name of ['ours', 'naive'] as const) await segment(servers[name].url, 1000)
  const rps: Record<'ours' | 'naive', number[]> = { ours: [], naive: [] }
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? (['ours', 'naive'] as const) : (['naive', 'ours'] as const)
    for (const name of order) rps[name].push(await segment(servers[name].url, SEGMENT_MS))
  }
  const ours = median(rps.ours)
  const naive = median(rps.naive)
  console.log(
    `c=${CONCURRENCY}, ${ROUNDS} rounds × ${SEGMENT_MS / 1000} s: ours ${ours.toFixed(0)} req/s [${rps.ours.map((x) => x.toFixed(0)).join(', ')}], naive ${naive.toFixed(0)} req/s [${rps.naive.map((x) => x.toFixed(0)).join(', ')}], ours/naive ${(ours / naive).toFixed(2)}×`,
  )
  if (TOP > 0) {
    await profile('ours')
    await profile('naive')
  }
} finally {
  await Promise.all(Object.values(servers).map((server) => server.dispose()))
  await emulator.close()
}
