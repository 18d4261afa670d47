// REST routes that act on client connections: `:closeConnections` and group `:send` (issue 3).
// https://learn.microsoft.com/azure/azure-web-pubsub/reference-rest-api-data-plane
import { Hono, type Context } from 'hono'
import type { ClientService } from './index'
import type { DataType } from './protocol'

export interface ClientRestDeps {
  service: ClientService
  /** The REST half's Entra check: a Response (401/403) is returned to the caller unchanged. */
  authorize: (request: Request) => Promise<Response | { principalId: string }>
}

const HUB_NAME = /^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$/
/** api-versions are dates, optionally `-preview`; which ones exist is the REST half's business. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/

/** Content types of the group `:send` body and the dataType clients see. */
const DATA_TYPES: Record<string, DataType> = {
  'application/json': 'json',
  'text/plain': 'text',
  'application/octet-stream': 'binary',
}

/**
 * The colon before the action is literal. Hono reads `:closeConnections` as a parameter, so the
 * action segment is a parameter constrained by a regular expression that matches only itself.
 */
export function createClientRestRoutes(deps: ClientRestDeps): Hono {
  const app = new Hono()

  app.post('/api/hubs/:hub/users/:user/:action{:closeConnections}', async (c) => {
    const refused = await checkRequest(c, deps)
    if (refused) return refused
    const reason = c.req.query('reason')
    deps.service.closeUserConnections(c.req.param('hub'), c.req.param('user'), reason)
    return c.body(null, 204)
  })

  app.post('/api/hubs/:hub/groups/:group/:action{:send}', async (c) => {
    const refused = await checkRequest(c, deps)
    if (refused) return refused
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    const dataType = DATA_TYPES[mediaType ?? '']
    if (dataType === undefined) {
      // Unverified: Azure's status and wording for an unsupported Content-Type.
      return error(
        400,
        'Content-Type must be application/json, text/plain or application/octet-stream.',
      )
    }
    let data: unknown
    if (dataType === 'json') {
      try {
        data = JSON.parse(await c.req.text())
      } catch {
        return error(400, 'The request body is not valid JSON.')
      }
    } else if (dataType === 'text') {
      data = await c.req.text()
    } else {
      data = Buffer.from(await c.req.arrayBuffer()).toString('base64')
    }
    deps.service.sendToGroup(c.req.param('hub'), c.req.param('group'), data, dataType)
    return c.body(null, 202)
  })

  return app
}

/**
 * Authorization first, then parameters, as the REST half does for `:generateToken`: a caller
 * without access learns nothing about its request (unverified order).
 */
async function checkRequest(c: Context, deps: ClientRestDeps): Promise<Response | undefined> {
  const auth = await deps.authorize(c.req.raw)
  if (auth instanceof Response) return auth
  const apiVersion = c.req.query('api-version')
  if (apiVersion === undefined || !API_VERSION.test(apiVersion)) {
    return error(400, 'The api-version query parameter is required.', 'Error.InvalidApiVersion')
  }
  if (!HUB_NAME.test(c.req.param('hub') ?? '')) return error(400, 'The hub name is not valid.')
  return undefined
}

/** Web PubSub data-plane error shape: `{ code, message }` and `x-ms-error-code`. */
function error(status: 400, message: string, code = 'Error.BadRequest'): Response {
  return new Response(JSON.stringify({ code, message }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-error-code': code },
  })
}
