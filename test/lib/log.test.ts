import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/lib/log'

describe('lib/log', () => {
  it('writes one JSON line with the base fields', () => {
    const lines: string[] = []
    createLogger({ requestId: 'r1' }, (l) => lines.push(l))('info', 'negotiated', { hub: 'chat' })
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'info',
      event: 'negotiated',
      requestId: 'r1',
      hub: 'chat',
    })
  })

  it('masks secret-named fields and JWT-shaped strings anywhere', () => {
    const lines: string[] = []
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    createLogger({}, (l) => lines.push(l))('warn', 'oops', {
      clientSecret: 'plain-secret',
      nested: { note: `got ${jwt} back`, authorization: 'Bearer abc' },
    })
    const line = lines[0] ?? ''
    expect(line).not.toContain('plain-secret')
    expect(line).not.toContain(jwt)
    expect(line).not.toContain('Bearer abc')
    expect(JSON.parse(line).nested.note).toBe('got [redacted-jwt] back')
  })
})
