// npm run hash-user-id: the same keyed hash the Worker writes with LOG_USER_ID=hash.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createUserIdHasher } from '../../src/lib/user-id-hash'
import { hashUserIds } from '../../scripts/hash-user-id'

const CACHE_KEY = 'q6Q3ZbB0Qm8N0r5J6s4k2VYwqK0b7Q5u3x6yWcP1nHo='
const SECRET = 'a-client-secret-value-for-hashing'
const base = {
  AUTH_MODE: 'anonymous',
  AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  AZURE_CLIENT_SECRET: SECRET,
  WEBPUBSUB_ENDPOINT: 'https://contoso.webpubsub.azure.com',
  WEBPUBSUB_HUBS: 'chat',
}

async function emptyFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'hash-user-id-'))
}

describe('hash-user-id', () => {
  it('prints the hash keyed by TOKEN_CACHE_KEY, one line per user id', async () => {
    const cwd = await emptyFolder()
    const run = await hashUserIds(['alice', 'bob'], {
      cwd,
      processEnv: { ...base, TOKEN_CACHE_KEY: CACHE_KEY },
    })
    const hash = await createUserIdHasher(Buffer.from(CACHE_KEY, 'base64'))
    expect(run).toEqual({
      code: 0,
      lines: [`${await hash('alice')}  alice`, `${await hash('bob')}  bob`],
    })
  })

  it('derives the key from the client secret without TOKEN_CACHE_KEY, and says so', async () => {
    const cwd = await emptyFolder()
    await writeFile(
      join(cwd, '.dev.vars'),
      Object.entries(base)
        .map(([name, value]) => `${name}=${value}`)
        .join('\n'),
    )
    const run = await hashUserIds(['alice'], { cwd, processEnv: {} })
    const hash = await createUserIdHasher(new TextEncoder().encode(SECRET))
    expect(run.code).toBe(0)
    expect(run.lines[0]).toMatch(/no TOKEN_CACHE_KEY/)
    expect(run.lines[1]).toBe(`${await hash('alice')}  alice`)
    expect(run.lines.join('\n')).not.toContain(SECRET)
  })

  it('refuses a broken configuration with its problems, and no user id', async () => {
    const cwd = await emptyFolder()
    const bad = await hashUserIds(['alice'], { cwd, processEnv: { ...base, AZURE_CLIENT_ID: 'x' } })
    expect(bad.code).toBe(1)
    expect(bad.lines.join('\n')).toContain('AZURE_CLIENT_ID')
    expect((await hashUserIds([], { cwd, processEnv: base })).code).toBe(2)
  })
})
