// Whole hostile requests for the negotiator: methods, paths, query strings, headers and bodies.
import fc from 'fast-check'
import { body } from './bodies'
import { headers } from './headers'
import { urlEncoded } from './parameters'
import { choose, messyText } from './text'
import type { CallerMode, TokenPool } from './tokens'

/** What was generated, printed as the counter-example when a property fails. */
export interface RequestSpec {
  method: string
  path: string
  query: string
  headers: [string, string][]
  body: string | Uint8Array | undefined
}

export interface FuzzRequest {
  url: string
  init: RequestInit
  /** The method as workerd normalises it (`get` → `GET`). */
  method: string
  /** The path Hono routes on, near enough: percent-escapes decoded where they decode. */
  routePath: string
  /** The Origin header as the Worker sees it. */
  origin: string | null
  /** Users of tokens this mode may accept, found where it reads credentials; empty when none. */
  validUsers: ReadonlySet<string>
}

const method = choose(
  { weight: 8, arbitrary: fc.constant('GET') },
  { weight: 8, arbitrary: fc.constant('POST') },
  { weight: 3, arbitrary: fc.constant('HEAD') },
  { weight: 2, arbitrary: fc.constant('OPTIONS') },
  { weight: 3, arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'get',
      'post',
      'head',
      'Post',
      'patch',
      'PROPFIND',
      'MKCOL',
      'TRACE',
      'REPORT',
      'PURGE',
      'CONNECT',
      'FOO',
      '',
    ),
  },
)

const PATHS = [
  '/negotiate/',
  '/NEGOTIATE',
  '/Negotiate',
  '//negotiate',
  '/negotiate/x',
  '/%6eegotiate',
  '/negotiat%65',
  '/negotiate%2F',
  '/negotiate%00',
  '/negotiate%20',
  '/negotiate;x',
  '/./negotiate',
  '/a/../negotiate',
  '/negotiate/..',
  '/negotiate%',
  '/negotiate%zz',
  '/%E0%A4%A',
  '/healthz',
  '/readyz',
  '/readyz/',
  '/%72eadyz',
  '/demo',
  '/demo/',
  '/demo/config.json',
  '/',
  '/favicon.ico',
  '/_emulator/counters',
  '/cdn-cgi/access/certs',
  '/.well-known/openid-configuration',
]

const path = choose(
  { weight: 12, arbitrary: fc.constant('/negotiate') },
  { weight: 3, arbitrary: fc.constantFrom(...PATHS) },
  { weight: 1, arbitrary: messyText.map((text) => `/${text}`) },
)

/**
 * As Hono's getPath: decodeURI, or else each run of escapes that decodes, keeping the rest. Paths
 * are strict (src/http/hono.ts): `/negotiate/` is not `/negotiate`.
 */
function routePathOf(pathname: string): string {
  const decode = (text: string): string | undefined => {
    try {
      return decodeURI(text)
    } catch {
      return undefined
    }
  }
  return decode(pathname) ?? pathname.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => decode(run) ?? run)
}

/** The headers each mode reads a caller token from. */
const CREDENTIAL_HEADERS: Record<CallerMode, string[]> = {
  jwt: ['authorization', 'cookie'],
  'cloudflare-access': ['cf-access-jwt-assertion', 'cookie'],
  anonymous: [],
}

function validUsersIn(request: Request, mode: CallerMode, pool: TokenPool): Set<string> {
  const users = new Set<string>()
  for (const name of CREDENTIAL_HEADERS[mode]) {
    for (const piece of (request.headers.get(name) ?? '').split(/[\s;,="]+/)) {
      const user = pool.valid.get(piece) ?? pool.odd.get(piece)
      if (user !== undefined) users.add(user)
    }
  }
  return users
}

/** The Request workerd would hand the Worker, or undefined when it cannot be constructed at all. */
export function buildRequest(
  spec: RequestSpec,
  mode: CallerMode,
  pool: TokenPool,
): FuzzRequest | undefined {
  const url = `http://negotiator.test${spec.path}${spec.query === '' ? '' : `?${spec.query}`}`
  const upper = spec.method.toUpperCase()
  const init: RequestInit = {
    method: spec.method,
    headers: spec.headers,
    // GET and HEAD cannot carry a body; a client would send the request without one.
    body: upper === 'GET' || upper === 'HEAD' ? undefined : spec.body,
  }
  // workerd sends non-ASCII header text as UTF-8, with a console warning per header: keep it out.
  if (spec.headers.some(([, value]) => /[\u0080-\uffff]/.test(value))) return undefined
  let request: Request
  try {
    request = new Request(url, init)
  } catch {
    // Invalid method or header value: such a request never reaches a Worker.
    return undefined
  }
  return {
    url,
    init,
    method: request.method,
    routePath: routePathOf(new URL(request.url).pathname),
    origin: request.headers.get('origin'),
    validUsers: validUsersIn(request, mode, pool),
  }
}

/** Request specs that workerd can construct; build each with buildRequest inside the property. */
export function fuzzRequests(mode: CallerMode, pool: TokenPool): fc.Arbitrary<RequestSpec> {
  return fc
    .record({
      method,
      path,
      query: choose(
        { weight: 1, arbitrary: fc.constant('') },
        { weight: 3, arbitrary: urlEncoded },
      ),
      headers: headers(mode, pool),
      body,
    })
    .filter((spec) => buildRequest(spec, mode, pool) !== undefined)
}
