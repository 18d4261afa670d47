// The Hono environment shared by every route: the request id set by the first middleware.
import type { Context } from 'hono'

export type AppEnv = { Variables: { requestId: string } }
export type AppContext = Context<AppEnv>
