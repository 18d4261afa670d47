// Starts one emulator for the Worker test project and hands its URL to the tests.
import type { TestProject } from 'vitest/node'
import { createServer } from 'node:http'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer((_req, res) => { res.end('hi') })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  project.provide('emulatorUrl', `http://127.0.0.1:${address.port}`)
  return async () => { server.close() }
}

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorUrl: string
  }
}
