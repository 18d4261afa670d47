// The CLI (`npm run emulator`): prints URLs, tenant and demo credentials, and stops on SIGTERM.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const MAIN = join(import.meta.dirname, '../../emulator/main.ts')

describe('emulator CLI', () => {
  it('prints the endpoint, tenant and every demo app, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    )
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${output}`)), 20_000)
        child.stdout.on('data', () => {
          if (output.includes('expiredSecret')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      expect(url).toBeDefined()
      expect(output).toContain('tenant id             e0000000-0000-4000-8000-000000000001')
      expect(output).toContain(`control API           ${url}/_emulator`)
      expect(output).toMatch(
        /ownerSecret\s+e0000000-0000-4000-8000-0000000000a1\s+role=owner\s+secret emu8Q~demo-owner-secret-/,
      )
      for (const name of ['ownerCertificate', 'reader', 'noRole', 'expiredSecret'])
        expect(output).toContain(name)
      expect((await fetch(`${url}/api/health`)).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
