// Starts one emulator for the Worker test project and hands its URL to the tests.
import type { TestProject } from 'vitest/node'
import { startEmulator } from '../../emulator/index'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator({ port: 0, quiet: true })
  project.provide('emulatorUrl', emulator.url)
  return () => emulator.close()
}
