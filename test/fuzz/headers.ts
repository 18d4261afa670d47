// Header generators: Authorization, Cookie, Origin, Content-Type, Content-Length lies, X-Request-Id.
import fc from 'fast-check'
import { BROKEN_ESCAPES, choose, encodeAscii, headerText, huge, messyText } from './text'
import { tokenCandidate, type CallerMode, type TokenPool } from './tokens'

const ORIGINS = [
  'https://app.example.com',
  'https://APP.example.com',
  'https://app.example.com.evil.example',
  'https://evil.example',
  'null',
  '*',
  '',
  'http://127.0.0.1',
]
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  ' application/json ',
  'application/json;;;',
  'application/json, text/plain',
  'application/problem+json',
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=iso-8859-1',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/octet-stream',
  '',
  ';',
  '/',
]
const CONTENT_LENGTHS = [
  '0',
  '1',
  '-1',
  '4096',
  '4097',
  '99999999999999999999999',
  '1e9',
  '0x10',
  ' 10',
  'abc',
  'NaN',
  '',
]

function authorization(pool: TokenPool): fc.Arbitrary<string> {
  const token = tokenCandidate(pool)
  return choose(
    { weight: 6, arbitrary: token.map((t) => `Bearer ${t}`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('bearer', 'BEARER', 'Bearer', 'Bearer:', 'Token', 'Basic', ''),
          fc.constantFrom(' ', '  ', '\t', ''),
          token,
          fc.constantFrom('', ' ', '  ', ' x', ','),
        )
        .map(([scheme, gap, t, tail]) => `${scheme}${gap}${t}${tail}`),
    },
    { weight: 1, arbitrary: headerText(60) },
    { weight: 1, arbitrary: huge(fc.constantFrom('Bearer ', 'a', ' ')) },
  )
}

/** A Cookie header: well-formed pairs, pairs without `=`, broken escapes, huge ones. */
function cookie(mode: CallerMode, pool: TokenPool): fc.Arbitrary<string> {
  const name = mode === 'cloudflare-access' ? 'CF_Authorization' : 'session'
  const names = fc.constantFrom(name, name, name, 'theme', 'SESSION', 'cf_authorization', '', ' ')
  const value = choose(
    { weight: 1, arbitrary: headerText(20) },
    { weight: 2, arbitrary: fc.constantFrom(...BROKEN_ESCAPES) },
    { weight: 2, arbitrary: messyText.map(encodeAscii) },
    { weight: 3, arbitrary: tokenCandidate(pool) },
  )
  const pair = choose(
    { weight: 5, arbitrary: fc.tuple(names, value).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: names },
    { weight: 1, arbitrary: value },
    { weight: 1, arbitrary: fc.tuple(names, value).map(([n, v]) => `${n}="${v}"`) },
  )
  const pairs = fc
    .tuple(fc.array(pair, { minLength: 1, maxLength: 4 }), fc.constantFrom('; ', ';', ' ; ', ', '))
    .map(([list, separator]) => list.join(separator))
  return choose(
    { weight: 8, arbitrary: pairs },
    { weight: 1, arbitrary: huge(fc.constantFrom(`${name}=`, 'a=b; ', '%', ';')) },
  )
}

/** The credential header exactly as a well-behaved client of this mode sends it. */
function cleanCredential(mode: CallerMode, pool: TokenPool): fc.Arbitrary<[string, string][]> {
  if (mode === 'anonymous' || pool.valid.size === 0) return fc.constant([])
  const tokens: fc.WeightedArbitrary<string>[] = [
    { weight: 3, arbitrary: fc.constantFrom(...pool.valid.keys()) },
  ]
  if (pool.odd.size > 0) tokens.push({ weight: 1, arbitrary: fc.constantFrom(...pool.odd.keys()) })
  const cookieName = mode === 'jwt' ? 'session' : 'CF_Authorization'
  const headerFor = (token: string): [string, string] =>
    mode === 'jwt' ? ['authorization', `Bearer ${token}`] : ['cf-access-jwt-assertion', token]
  return fc
    .tuple(choose(...tokens), fc.boolean())
    .map(([token, inCookie]) => [
      inCookie ? ['cookie', `theme=dark; ${cookieName}=${token}`] : headerFor(token),
    ])
}

export function headers(mode: CallerMode, pool: TokenPool): fc.Arbitrary<[string, string][]> {
  const fuzzed = fc.record(
    {
      authorization: authorization(pool),
      cookie: cookie(mode, pool),
      'cf-access-jwt-assertion': tokenCandidate(pool),
    },
    { requiredKeys: [] },
  )
  const credentials = choose(
    { weight: 3, arbitrary: fuzzed.map((record) => Object.entries(record)) },
    { weight: 2, arbitrary: cleanCredential(mode, pool) },
  )
  const others = fc.record(
    {
      origin: choose(fc.constantFrom(...ORIGINS), headerText(), huge(fc.constant('a'))),
      'content-type': choose(
        { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        { weight: 1, arbitrary: headerText() },
      ),
      'content-length': fc.constantFrom(...CONTENT_LENGTHS),
      'x-request-id': choose(headerText(), huge(fc.constantFrom('a', '-', '%'))),
      'cf-connecting-ip': fc.constantFrom('203.0.113.7', '::1', '', 'not-an-ip'),
      'access-control-request-method': fc.constantFrom('GET', 'POST', 'DELETE', ''),
      accept: fc.constantFrom('application/json', '*/*', 'text/html', ''),
    },
    { requiredKeys: [] },
  )
  // A few headers a second time: Headers.append joins them with ", ".
  const repeated = fc.array(
    choose(
      authorization(pool).map((value): [string, string] => ['authorization', value]),
      cookie(mode, pool).map((value): [string, string] => ['cookie', value]),
      tokenCandidate(pool).map((value): [string, string] => ['cf-access-jwt-assertion', value]),
    ),
    { maxLength: 1 },
  )
  return fc
    .tuple(credentials, others, repeated)
    .map(([credential, record, extra]) => [
      ...credential,
      ...(Object.entries(record) as [string, string][]),
      ...extra,
    ])
}
