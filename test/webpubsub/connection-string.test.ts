import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseConnectionString } from '../../src/webpubsub/connection-string'

const KEY = 'c2VjcmV0LWFjY2Vzcy1rZXktMDEyMzQ1Njc4OWFiY2RlZg=='

const ok = (value: string) => {
  const result = parseConnectionString(value)
  if (!result.ok) throw new Error(`expected a connection: ${result.problems.join('; ')}`)
  return result.connection
}
const problems = (value: string) => {
  const result = parseConnectionString(value)
  if (result.ok) throw new Error('expected problems')
  return result.problems
}

describe('webpubsub/connection-string', () => {
  it('reads the portal form, with the trailing ; and Version', () => {
    expect(
      ok(`Endpoint=https://contoso.webpubsub.azure.com;AccessKey=${KEY};Version=1.0;`),
    ).toEqual({ endpointUrl: 'https://contoso.webpubsub.azure.com/', accessKey: KEY })
  })

  it('keeps the = padding of the key and reads names case-insensitively, in any order', () => {
    expect(ok(`accesskey=${KEY};ENDPOINT=https://contoso.webpubsub.azure.com/`)).toEqual({
      endpointUrl: 'https://contoso.webpubsub.azure.com/',
      accessKey: KEY,
    })
  })

  it('puts Port into the endpoint, and drops a default port as the SDK URL does', () => {
    expect(ok(`Endpoint=https://contoso.example;AccessKey=${KEY};Port=8443;`).endpointUrl).toBe(
      'https://contoso.example:8443/',
    )
    expect(ok(`Endpoint=https://contoso.example;AccessKey=${KEY};Port=443;`).endpointUrl).toBe(
      'https://contoso.example/',
    )
    expect(ok(`Endpoint=http://127.0.0.1;AccessKey=${KEY};Port=8788`).endpointUrl).toBe(
      'http://127.0.0.1:8788/',
    )
  })

  it('prefixes https:// to an endpoint without a scheme, as the SDK does', () => {
    expect(ok(`Endpoint=contoso.webpubsub.azure.com;AccessKey=${KEY}`).endpointUrl).toBe(
      'https://contoso.webpubsub.azure.com/',
    )
  })

  it.each([
    ['no endpoint', `AccessKey=${KEY};Version=1.0;`, /no Endpoint=/],
    ['no key', 'Endpoint=https://contoso.example;Version=1.0;', /no AccessKey=/],
    ['an empty key', 'Endpoint=https://contoso.example;AccessKey=;', /no AccessKey=/],
    ['a bad port', `Endpoint=https://contoso.example;AccessKey=${KEY};Port=x`, /Port/],
    ['port 0', `Endpoint=https://contoso.example;AccessKey=${KEY};Port=0`, /Port/],
    [
      'a key twice',
      `Endpoint=https://a.example;AccessKey=${KEY};AccessKey=${KEY}`,
      /AccessKey= twice/,
    ],
    ['not a URL', `Endpoint=https://exa mple;AccessKey=${KEY}`, /not a URL/],
    ['just the key', KEY, /no AccessKey=/],
  ])('refuses %s without quoting the string', (_, value, expected) => {
    const found = problems(value)
    expect(found.join('\n')).toMatch(expected)
    expect(found.join('\n')).not.toContain(KEY)
  })

  it('never throws and never quotes the key, whatever surrounds it (property)', () => {
    // A key of 16+ characters that cannot occur by accident in a problem's fixed wording.
    const key = fc
      .stringMatching(/^[A-Za-z0-9+/]{16,44}={0,2}$/)
      .filter((k) => /\d/.test(k) && /[A-Z]/.test(k))
    const noise = fc.string({ unit: 'binary', maxLength: 40 })
    const part = fc.oneof(
      noise,
      fc.constantFrom('Endpoint=', 'AccessKey=', 'Port=', 'Version=1.0', ';', '=', 'https://'),
    )
    fc.assert(
      fc.property(key, fc.array(part, { maxLength: 8 }), fc.nat(8), (accessKey, parts, at) => {
        const pieces = [...parts]
        pieces.splice(Math.min(at, pieces.length), 0, `AccessKey=${accessKey}`)
        const value = pieces.join('')
        const result = parseConnectionString(value)
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0)
          expect(JSON.stringify(result.problems)).not.toContain(accessKey)
        }
        // Arbitrary text alone never throws either.
        parseConnectionString(parts.join(''))
      }),
      { numRuns: 1000 },
    )
  })
})
