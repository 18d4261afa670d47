// `npm start`: the emulator and `wrangler dev --env dev` wired to it, with demo credentials and local KV.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const emulatorPort = Number(process.env.EMULATOR_PORT ?? 8788)
const workerPort = Number(process.env.PORT ?? 8787)
const emulatorUrl = `http://127.0.0.1:${emulatorPort}`
const children = []

function run(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  const prefix = (line) => `[${name}] ${line}`
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = ''
    stream.on('data', (chunk) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) console.log(prefix(line))
    })
  }
  child.on('exit', (code, signal) => {
    console.log(prefix(`exited (${signal ?? code})`))
    shutdown(code ?? 1)
  })
  children.push(child)
  return child
}

let stopping = false
function shutdown(code) {
  if (stopping) return
  stopping = true
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  setTimeout(() => process.exit(code), 500).unref()
}
process.on('SIGINT', () => shutdown(0))
process.on('SIGTERM', () => shutdown(0))

async function waitFor(url, timeoutMs) {
  const until = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(url)
      if (response.ok) return response
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not come up within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
}

run('emulator', process.execPath, [
  '--import',
  'tsx',
  'emulator/main.ts',
  '--port',
  String(emulatorPort),
  '--quiet',
])
const credentials = await (await waitFor(`${emulatorUrl}/_emulator/credentials`, 20_000)).json()
const app = credentials.apps.ownerSecret

// wrangler reads these as variables and secrets; the directory is git-ignored.
const envDir = '.wrangler'
mkdirSync(envDir, { recursive: true })
const envFile = join(envDir, 'emulator.env')
// The demo policy: rooms by wildcard, and a private group per user (issue 4's example).
const POLICY = {
  hubs: {
    chat: {
      roles: [
        'webpubsub.joinLeaveGroups.room.*',
        'webpubsub.sendToGroups.room.*',
        'webpubsub.joinLeaveGroup.user.{sub}',
        'webpubsub.sendToGroup.user.{sub}',
      ],
      groups: ['user.{sub}'],
      requestableGroups: ['room.*'],
      ttlMinutes: { default: 60, min: 5, max: 120 },
    },
  },
}
// AUTH_MODE=anonymous npm start runs without sign-in.
const authMode = process.env.AUTH_MODE ?? 'jwt'
const vars = {
  AUTH_MODE: authMode,
  AUTH_ISSUER: credentials.oidcIssuer,
  AUTH_AUDIENCE: 'webpubsub-negotiator',
  DEMO_TOKEN_URL: `${credentials.oidcIssuer}/dev/token`,
  POLICY: JSON.stringify(POLICY),
  AZURE_TENANT_ID: credentials.tenantId,
  AZURE_CLIENT_ID: app.clientId,
  AZURE_CLIENT_SECRET: app.clientSecret,
  AZURE_AUTHORITY_HOST: credentials.authorityHost,
  WEBPUBSUB_ENDPOINT: credentials.endpoint,
  WEBPUBSUB_HUBS: 'chat,lobby',
  DEMO_PAGE: 'on',
}
// dotenv syntax: single quotes keep a value literal (the JSON policy has double quotes inside).
const quote = (value) => (value.includes("'") ? JSON.stringify(value) : `'${value}'`)
writeFileSync(
  envFile,
  Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join('\n') + '\n',
)

// wrangler.toml's [env.dev]: the demo assets and DEMO_PAGE; the top level is production.
const wranglerEnv = 'dev'

/** Prints, before the first request, what /readyz would report about the generated configuration. */
function checkConfig() {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/check-config.ts', '--env', wranglerEnv, '--env-file', envFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk))
  return new Promise((resolve) => {
    child.on('close', () => {
      // The script's lines begin with "config:" already.
      for (const line of output.trimEnd().split('\n')) console.log(line)
      resolve()
    })
  })
}
const configChecked = checkConfig()

// Offline: no `request.cf` download from workers.cloudflare.com (Miniflare then uses a placeholder
// object), no update check behind the banner and no telemetry (Wrangler docs, "System environment
// variables").
const offline = {
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
}
run(
  'wrangler',
  process.execPath,
  [
    'node_modules/wrangler/bin/wrangler.js',
    'dev',
    '--env',
    wranglerEnv,
    '--ip',
    '127.0.0.1',
    '--port',
    String(workerPort),
    '--env-file',
    envFile,
    '--show-interactive-dev-session=false',
  ],
  { env: { ...process.env, ...offline } },
)
const negotiator = `http://127.0.0.1:${workerPort}`
await waitFor(`${negotiator}/healthz`, 60_000)
await configChecked
const ready = await fetch(`${negotiator}/readyz`)
console.log(
  [
    '',
    `Negotiator ready (${ready.status}) at ${negotiator}, AUTH_MODE=${authMode}`,
    authMode === 'jwt'
      ? `  try:      TOKEN=$(curl -s -X POST ${credentials.oidcIssuer}/dev/token -H 'content-type: application/json' -d '{"sub":"alice","audience":"webpubsub-negotiator"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')\n            curl -H "Authorization: Bearer $TOKEN" '${negotiator}/negotiate?hub=chat'`
      : `  try:      curl '${negotiator}/negotiate?hub=chat'`,
    `  demo:     ${negotiator}/demo`,
    `  emulator: ${emulatorUrl} (control API ${emulatorUrl}/_emulator)`,
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
)
