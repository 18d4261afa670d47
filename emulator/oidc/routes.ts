// The local OpenID Connect issuer under `/oidc`: discovery, JWKS and a development token endpoint.
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import type { AppEnv } from '../http/context'
import { instrumented } from '../http/instrument'
import type { EmulatorState } from '../state'
import { parseDevTokenRequest, signDevToken } from './dev-token'
import { OIDC_ALGORITHMS } from './keys'

export interface OidcRoutesOptions {
  /** `<emulator url>/oidc`, no trailing slash: the `iss` of every token and the discovery base. */
  issuer: string
}

/** Mount at `/oidc`. */
export function oidcRoutes(state: EmulatorState, options: OidcRoutesOptions): Hono<AppEnv> {
  const { issuer } = options
  const oidc = new Hono<AppEnv>()

  // The demo page is served by the negotiator on another origin and fetches dev tokens from the
  // browser. Preflights are answered here, before instrumentation, so they are never counted.
  oidc.use(
    cors({
      origin: '*',
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      allowHeaders: ['content-type'],
      maxAge: 600,
    }),
  )

  // OpenID Connect Discovery 1.0 §3 requires authorization_endpoint too; there is none, since
  // tokens come only from the development endpoint, and verifiers (jose) read only jwks_uri.
  oidc.get(
    '/.well-known/openid-configuration',
    instrumented(state, 'oidc.discovery', (c) =>
      c.json({
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/dev/token`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...OIDC_ALGORITHMS],
      }),
    ),
  )

  const jwks = instrumented(state, 'oidc.jwks', (c) =>
    c.json({ keys: state.oidcKeys.publicJwks() }),
  )
  oidc.get('/jwks', jwks)
  // Where Cloudflare Access publishes a team's keys: with CF_ACCESS_TEAM_DOMAIN=<emulator>/oidc the
  // negotiator's cloudflare-access mode runs against this issuer too (the real one is RS256-only).
  oidc.get('/cdn-cgi/access/certs', jwks)

  // NOT part of OpenID Connect: a development shortcut that mints a user's token for any subject
  // and claims without a sign-in, so `npm start`, the demo page and tests can run in `jwt` mode.
  oidc.post(
    '/dev/token',
    instrumented(state, 'oidc.token', async (c) => {
      const body: unknown = await c.req.json().catch(() => undefined)
      const request = parseDevTokenRequest(body)
      if (typeof request === 'string')
        return c.json({ error: 'invalid_request', error_description: request }, 400)
      return c.json(await signDevToken(state.oidcKeys, issuer, request, state.now()), 200)
    }),
  )

  return oidc
}
