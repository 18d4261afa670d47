// Child process of the soak: the emulator over plain http on 127.0.0.1, off the load generator's event loop.
// Usage: node --import tsx bench/soak-emulator.ts [resources]   (resources 1–5, default 1; the failover soak runs 2)
// Prints one JSON line (SoakEmulatorReady) once it listens; exits when its parent closes stdin.
import { startEmulator, type DemoCredentials } from '../emulator/index'
import { exitWithParent } from './children'

export interface SoakEmulatorReady {
  url: string
  demo: DemoCredentials
}

// Plain http: the negotiator accepts it for 127.0.0.1, and the soak is about the Worker's
// resilience and memory, not TLS (which would only spend the 2 shared cores on handshakes).
const resources = Number(process.argv[2] ?? 1)
const emulator = await startEmulator({ port: 0, quiet: true, resources })
exitWithParent(() => emulator.close())
const ready: SoakEmulatorReady = { url: emulator.url, demo: emulator.demo }
process.stdout.write(JSON.stringify(ready) + '\n')
