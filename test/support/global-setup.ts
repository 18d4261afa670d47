// Starts one emulator for the Worker test project and hands its URL to the tests.
import type { TestProject } from 'vitest/node'
import { startEmulator } from '../../emulator/index'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Two Web PubSub resources: the second serves the failover tests; the others use the first only.
  const emulator = await startEmulator({ port: 0, quiet: true, resources: 2 })
  project.provide('emulatorUrl', emulator.url)
  project.provide('emulatorSecondaryUrl', emulator.resources[1]?.url ?? '')
  return () => emulator.close()
}
