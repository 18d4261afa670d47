// Child process: the TLS emulator (Entra + Web PubSub) both contestants call, off the load generator's event loop.
// Usage: node --import tsx bench/emulator-process.ts <tlsDir>
// Prints one JSON line (EmulatorReady) once it listens; exits when its parent closes stdin.
import { startEmulator, type DemoCredentials } from '../emulator/index'
import { exitWithParent } from './children'

export interface EmulatorReady {
  url: string
  caCertPath: string
  caCertPem: string
  demo: DemoCredentials
}

const tlsDir = process.argv[2]
if (tlsDir === undefined) throw new Error('usage: emulator-process.ts <tlsDir>')

// TLS because the Azure SDK sends bearer tokens only over https; both contestants pay for it.
const emulator = await startEmulator({ port: 0, quiet: true, tls: true, tlsDir })
exitWithParent(() => emulator.close())
const ready: EmulatorReady = {
  url: emulator.url,
  caCertPath: emulator.caCertPath ?? '',
  caCertPem: emulator.caCertPem ?? '',
  demo: emulator.demo,
}
process.stdout.write(JSON.stringify(ready) + '\n')
