// Caller-token generators: real tokens, spoiled ones, JWT-shaped forgeries and garbage.
import fc from 'fast-check'
import { choose, headerText, huge } from './text'

export type CallerMode = 'jwt' | 'cloudflare-access' | 'anonymous'

/** The caller tokens one fuzz run draws from, minted by the emulator's OpenID Connect issuer. */
export interface TokenPool {
  /** Tokens this mode must accept, each with the user id it yields. */
  valid: ReadonlyMap<string, string>
  /** Well-signed tokens with odd identities: accepted with that user id, or refused with a 4xx. */
  odd: ReadonlyMap<string, string>
  /** Real tokens this mode must refuse: expired, another audience or issuer, bad signature, … */
  refused: readonly string[]
  /** The issuer's real key ids, so that forged JWT-shaped tokens reach the signature check. */
  kids: readonly string[]
}

function base64UrlOfBytes(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
const base64Url = (text: string): string => base64UrlOfBytes(new TextEncoder().encode(text))

const base64UrlText = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  maxLength: 40,
})

const ALGORITHMS = [
  'RS256',
  'ES256',
  'PS256',
  'EdDSA',
  'RS512',
  'none',
  'None',
  'HS256',
  'rs256',
  '',
]

function jwtShaped(kids: readonly string[]): fc.Arbitrary<string> {
  const header = fc.record(
    {
      alg: choose<unknown>(fc.constantFrom(...ALGORITHMS), fc.jsonValue({ maxDepth: 1 })),
      kid: choose(
        { weight: 3, arbitrary: kids.length > 0 ? fc.constantFrom(...kids) : fc.string() },
        { weight: 1, arbitrary: fc.string() },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
      ),
      typ: fc.constantFrom('JWT', 'at+jwt', ''),
      crit: fc.constantFrom(['b64'], ['exp'], 'b64', []),
      b64: fc.boolean(),
      jku: fc.constant('http://127.0.0.1:1/jwks'),
      x5u: fc.constant('http://127.0.0.1:1/cert'),
    },
    { requiredKeys: ['alg'] },
  )
  const payload = choose<unknown>(
    fc.record(
      {
        sub: choose<unknown>(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        email: fc.string(),
        aud: fc.constantFrom('webpubsub-negotiator', 'access-aud-tag', ['access-aud-tag'], 'x'),
        iss: fc.string(),
        exp: choose<unknown>(fc.integer(), fc.string(), fc.constant(4_102_444_800)),
        nbf: fc.integer(),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  )
  const signature = choose(
    fc.uint8Array({ maxLength: 300 }).map(base64UrlOfBytes),
    base64UrlText,
    fc.constant(''),
  )
  const segment = choose(base64UrlText, fc.constantFrom('', '.', '..', '=', 'e30'))
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.tuple(header, payload, signature) },
      { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }) },
    )
    .map((parts) =>
      parts.length === 3 && typeof parts[0] === 'object'
        ? `${base64Url(JSON.stringify(parts[0]))}.${base64Url(JSON.stringify(parts[1]))}.${parts[2] as string}`
        : (parts as string[]).join('.'),
    )
}

/**
 * Valid tokens changed where the signature covers them (header or payload text) or with the
 * signature cut short: never only the signature's last character, whose spare bits may not count.
 */
function spoiled(tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...tokens),
      fc.nat(),
      fc.constantFrom('header', 'payload', 'cut', 'noSignature', 'swap'),
    )
    .map(([token, at, how]) => {
      const [header = '', payload = '', signature = ''] = token.split('.')
      const flip = (text: string): string => {
        const i = at % text.length
        const replacement = text[i] === 'A' ? 'B' : 'A'
        return `${text.slice(0, i)}${replacement}${text.slice(i + 1)}`
      }
      if (how === 'header') return `${flip(header)}.${payload}.${signature}`
      if (how === 'payload') return `${header}.${flip(payload)}.${signature}`
      if (how === 'cut') return `${header}.${payload}.${signature.slice(0, signature.length >> 1)}`
      if (how === 'noSignature') return `${header}.${payload}.`
      return `${payload}.${header}.${signature}`
    })
}

/** Anything a caller might put where a token goes. */
export function tokenCandidate(pool: TokenPool): fc.Arbitrary<string> {
  const valid = [...pool.valid.keys()]
  const choices: fc.WeightedArbitrary<string>[] = [
    { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'undefined', 'a.b.c', '...') },
    { weight: 2, arbitrary: headerText(60) },
    { weight: 3, arbitrary: jwtShaped(pool.kids) },
    { weight: 1, arbitrary: huge(fc.constantFrom('a', 'eyJ', 'a.b.', '.')) },
  ]
  if (pool.refused.length > 0) {
    choices.push({ weight: 3, arbitrary: fc.constantFrom(...pool.refused) })
  }
  if (valid.length > 0) {
    choices.push({ weight: 3, arbitrary: fc.constantFrom(...valid) })
    choices.push({ weight: 2, arbitrary: spoiled(valid) })
  }
  if (pool.odd.size > 0) choices.push({ weight: 1, arbitrary: fc.constantFrom(...pool.odd.keys()) })
  return choose(...choices)
}
