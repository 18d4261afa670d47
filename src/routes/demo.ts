// GET /demo and /demo/*: the demo chat page from the ASSETS binding, only when DEMO_PAGE is "on".
import { Hono } from '../http/hono'
import type { Context } from 'hono'
import type { AppEnv } from '../app-env'
import { NegotiatorError } from '../errors'

export const demoRoutes = new Hono<AppEnv>()

/** The part of the ASSETS binding (wrangler.toml `[assets]`) this route uses. */
interface AssetsFetcher {
  fetch(request: Request): Promise<Response>
}

async function serveDemo(c: Context<AppEnv>) {
  // Off unless asked for: production answers exactly as for any unknown path, so the page's
  // existence is not revealed (wrangler.toml runs the Worker before assets for every path).
  if (c.env.DEMO_PAGE !== 'on') return c.notFound()
  const assets = c.env.ASSETS as AssetsFetcher | undefined
  if (assets === undefined) {
    throw new NegotiatorError('not_found', {
      detail: 'DEMO_PAGE is on but the ASSETS binding is missing: keep [assets] in wrangler.toml.',
    })
  }
  const url = new URL(c.req.url)
  // The assets' default html_handling redirects /demo to /demo/; serve the index directly.
  if (url.pathname === '/demo') url.pathname = '/demo/'
  const response = await assets.fetch(new Request(url, c.req.raw))
  if (response.status === 404) {
    throw new NegotiatorError('not_found', {
      detail: `No demo file at ${url.pathname}; run \`npm run build:demo\` to build public/demo/.`,
    })
  }
  // A fetched response has immutable headers; the timing and request-id middleware add theirs.
  return new Response(response.body, response)
}

/**
 * What the page needs to know before it negotiates: the auth mode and, in development, where to
 * get a user token (the emulator's OIDC development endpoint, DEMO_TOKEN_URL). Never a secret.
 */
demoRoutes.get('/demo/config.json', (c) => {
  if (c.env.DEMO_PAGE !== 'on') return c.notFound()
  const state = c.get('runtime')
  const auth = state.ok ? state.runtime.config.auth : undefined
  c.header('cache-control', 'no-store')
  return c.json({
    authMode: auth?.mode ?? 'unknown',
    audience: auth?.mode === 'jwt' ? auth.audience : undefined,
    devTokenUrl: typeof c.env.DEMO_TOKEN_URL === 'string' ? c.env.DEMO_TOKEN_URL : undefined,
  })
})
demoRoutes.get('/demo', serveDemo)
demoRoutes.get('/demo/*', serveDemo)
