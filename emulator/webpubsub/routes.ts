// Web PubSub data-plane routes: `:generateToken` (the Auth API) and `/api/health`.
// https://learn.microsoft.com/rest/api/webpubsub/dataplane/web-pub-sub/generate-client-token
import type { Handler } from 'hono'
import type { AppEnv } from '../http/context'
import type { ResourceState } from '../state'
import { DATA_ACTIONS, authorizeRequest } from './authorize'
import { webPubSubError } from './errors'
import { parseGenerateTokenParams } from './params'

/** The colon is literal in the path, so it is matched on the raw path rather than by the router. */
export const GENERATE_TOKEN_PATH = /^\/api\/hubs\/([^/]+)\/:generateToken$/

export function generateTokenRoute(state: ResourceState): Handler<AppEnv> {
  return async (c) => {
    const url = new URL(c.req.url)
    const hub = safeDecode(GENERATE_TOKEN_PATH.exec(url.pathname)?.[1] ?? '')
    // Unverified order: authentication and authorization come before parameter validation, as
    // ASP.NET-style services authenticate first; a caller without access learns nothing more.
    const auth = await authorizeRequest(
      c.req.header('authorization'),
      state,
      DATA_ACTIONS.generateToken,
    )
    if (!auth.ok) return auth.response
    const params = parseGenerateTokenParams(hub, url.searchParams)
    if ('code' in params)
      return webPubSubError(400, params.code, params.message, { target: params.target })
    const token = await state.clientTokenSigner.sign({
      // The token's aud names the host the caller used, port included.
      host: c.req.header('host') ?? url.host,
      hub,
      clientType: params.clientType,
      userId: params.userId,
      roles: params.roles,
      groups: params.groups,
      minutesToExpire: params.minutesToExpire,
      nowSeconds: Math.floor(state.now() / 1000),
    })
    return c.json({ token }, 200)
  }
}

/** A broken percent-escape leaves the name as sent, which the hub regex then rejects with a 400. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** No authentication: a negotiator uses it to pick a healthy endpoint among several resources. */
export const healthRoute: Handler<AppEnv> = (c) => c.body(null, 200)
