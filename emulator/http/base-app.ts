// The Hono app every origin starts from: request ids, the request log, 404 and 500 answers.
import { Hono } from 'hono'
import { webPubSubError } from '../webpubsub/errors'
import type { AppEnv } from './context'

export interface BaseAppOptions {
  quiet: boolean
  /** Added to every log line, e.g. `{ resource: 1 }` on a further resource's origin. */
  logFields?: Record<string, unknown>
}

export function createBaseApp(options: BaseAppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  // Every answer carries x-ms-request-id, as both Entra and Web PubSub do; Entra errors reuse it as trace id.
  app.use(async (c, next) => {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    const started = performance.now()
    await next()
    c.res.headers.set('x-ms-request-id', requestId)
    if (!options.quiet) {
      // Only method, path and status: query strings and bodies may hold secrets or tokens.
      const path = new URL(c.req.url).pathname
      const ms = Math.round(performance.now() - started)
      const { method } = c.req
      const { status } = c.res
      console.log(JSON.stringify({ requestId, ...options.logFields, method, path, status, ms }))
    }
  })

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname
    if (path.startsWith('/api/'))
      return webPubSubError(404, 'Error.NotFound', `No API at ${c.req.method} ${path}.`)
    return c.json(
      { error: 'not_found', error_description: `No route for ${c.req.method} ${path}.` },
      404,
    )
  })
  app.onError((error, c) => {
    console.error(JSON.stringify({ requestId: c.get('requestId'), error: String(error) }))
    return c.json(
      { code: 'Error.InternalServerError', message: 'The emulator failed; see its log.' },
      500,
    )
  })
  return app
}
