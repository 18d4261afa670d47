// The CLI with --resources: one URL per resource in the banner, each serving /api/health.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const MAIN = join(import.meta.dirname, '../../emulator/main.ts')

function run(args: string[]) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, '--port', '0', '--quiet', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const output = { stdout: '', stderr: '' }
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output, exited }
}

describe('emulator CLI --resources', () => {
  it('prints the URL of each resource, and each one serves /api/health', async () => {
    const { child, output, exited } = run(['--resources', '2'])
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${output.stdout}`)), 20_000)
        child.stdout.on('data', () => {
          if (output.stdout.includes('expiredSecret')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const main = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output.stdout)?.[1]
      const urls = [...output.stdout.matchAll(/resource (\d) +(http:\/\/127\.0\.0\.1:\d+)/g)]
      expect(urls.map((m) => m[1])).toEqual(['0', '1'])
      expect(urls[0]?.[2]).toBe(main)
      expect(urls[1]?.[2]).not.toBe(main)
      expect(output.stdout).toContain(`WEBPUBSUB_SECONDARY_ENDPOINTS=${urls[1]?.[2]}`)
      for (const match of urls) expect((await fetch(`${match[2]}/api/health`)).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it('exits 2 for a count outside 1–5', async () => {
    const { output, exited } = run(['--resources', '9'])
    expect(await exited).toBe(2)
    expect(output.stderr).toContain('--resources must be an integer 1–5, got 9')
  })
})
