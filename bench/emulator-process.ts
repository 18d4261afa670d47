// Child process: the TLS emulator (Entra + Web PubSub, with an access key) the contestants call, off the load generator's event loop.
// Usage: node --import tsx bench/emulator-process.ts <tlsDir>
// Prints one JSON line (EmulatorReady) once it listens; exits when its parent closes stdin.
import { randomBytes } from 'node:crypto'
import { startEmulator, type DemoCredentials } from '../emulator/index'
import { answerParent, exitWithParent } from './children'

export interface EmulatorReady {
  url: string
  caCertPath: string
  caCertPem: string
  demo: DemoCredentials
}

/** The answer to `{ type: 'tls' }`: completed TLS handshakes since start. */
export interface EmulatorTlsStats {
  handshakes: number
}

const tlsDir = process.argv[2]
if (tlsDir === undefined) throw new Error('usage: emulator-process.ts <tlsDir>')

// TLS because the Azure SDK sends bearer tokens only over https; both contestants pay for it.
// An access key (a fresh one per run, shaped like Azure's: 32 bytes in base64) for the access-key
// contestants: connects then accept the tokens they sign, and `demo.connectionString` names it.
const emulator = await startEmulator({
  port: 0,
  quiet: true,
  tls: true,
  tlsDir,
  accessKey: randomBytes(32).toString('base64'),
})
exitWithParent(() => emulator.close())

// Each handshake costs the emulator a signature: a client that reconnects pays it again, so the
// benchmark counts them to explain differences in the emulator's CPU per negotiation.
let handshakes = 0
emulator.server.on('secureConnection', () => (handshakes += 1))
answerParent((): EmulatorTlsStats => ({ handshakes }))
const ready: EmulatorReady = {
  url: emulator.url,
  caCertPath: emulator.caCertPath ?? '',
  caCertPem: emulator.caCertPem ?? '',
  demo: emulator.demo,
}
process.stdout.write(JSON.stringify(ready) + '\n')
