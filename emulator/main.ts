// CLI: `npm run emulator -- [--port 8788] [--host 127.0.0.1] [--tls] [--tls-dir dir] [--config file.json] [--access-key key] [--resources n] [--quiet]`.
import { parseArgs } from 'node:util'
import { startEmulator } from './index'
import { isResourceCount, MAX_RESOURCES, MIN_RESOURCES } from './resources/count'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8788' },
    host: { type: 'string', default: '127.0.0.1' },
    tls: { type: 'boolean', default: false },
    'tls-dir': { type: 'string' },
    config: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'access-key': { type: 'string' },
    resources: { type: 'string' },
  },
})

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer 0–65535, got ${values.port}`)
  process.exit(2)
}

const resources = values.resources === undefined ? undefined : Number(values.resources)
if (resources !== undefined && !isResourceCount(resources)) {
  console.error(
    `--resources must be an integer ${MIN_RESOURCES}–${MAX_RESOURCES}, got ${values.resources}`,
  )
  process.exit(2)
}

const emulator = await startEmulator({
  port,
  host: values.host,
  tls: values.tls,
  tlsDir: values['tls-dir'] ?? (values.tls ? '.emulator/tls' : undefined),
  configFile: values.config,
  quiet: values.quiet,
  accessKey: values['access-key'],
  resources,
})
const { demo } = emulator
const lines = [
  `Web PubSub + Entra emulator listening on ${emulator.url}`,
  `  Web PubSub endpoint   ${demo.endpoint}`,
  `  Entra authority host  ${demo.authorityHost}`,
  `  tenant id             ${demo.tenantId}`,
  `  scope                 ${demo.scope}`,
  `  OpenID issuer         ${demo.oidcIssuer}  (user tokens: POST ${demo.oidcIssuer}/dev/token)`,
  `  control API           ${emulator.url}/_emulator (GET /_emulator/credentials for certificates)`,
]
if (demo.connectionString)
  lines.push(`  connection string     ${demo.connectionString}  (WEBPUBSUB_CONNECTION_STRING)`)
// Further resources serve the data plane and their own control API only; Entra stays on resource 0.
if (emulator.resources.length > 1) {
  for (const { index, url } of emulator.resources) {
    const role = index === 0 ? 'the main origin, Entra included' : 'data plane + control API'
    lines.push(`  ${`resource ${index}`.padEnd(21)} ${url}  (${role})`)
  }
  // Ready to paste into the negotiator's variables (comma-separated lists).
  const others = emulator.resources.slice(1)
  lines.push(`  WEBPUBSUB_SECONDARY_ENDPOINTS=${others.map((r) => r.url).join(',')}`)
  if (demo.connectionString) {
    const strings = others.map((r) => r.connectionString).join(',')
    lines.push(`  WEBPUBSUB_SECONDARY_CONNECTION_STRINGS=${strings}`)
  }
}
if (emulator.caCertPath)
  lines.push(
    `  TLS certificate       ${emulator.caCertPath}  (NODE_EXTRA_CA_CERTS=${emulator.caCertPath})`,
  )
lines.push('  demo apps:')
for (const [name, app] of Object.entries(demo.apps)) {
  const credential = app.clientSecret
    ? `secret ${app.clientSecret}`
    : app.certificatePem
      ? 'certificate (see /_emulator/credentials)'
      : 'no credential'
  lines.push(`    ${name.padEnd(17)} ${app.clientId}  role=${app.role.padEnd(6)} ${credential}`)
}
console.log(lines.join('\n'))

let stopping = false
const stop = (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: stopping the emulator`)
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))
