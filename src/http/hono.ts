// The app class of the negotiator and its route groups: Hono's base with the RegExpRouter alone.
// The default preset also bundles the TrieRouter and the SmartRouter that picks between them; the
// tiny preset's PatternRouter is smaller but tries every route's regex on every request, which
// the profile showed on the hot path (bench/profile-workerd.ts). The RegExpRouter matches all
// routes with one compiled regex per method, and keeps paths strict (`/negotiate/` is not
// `/negotiate`).
import type { Env } from 'hono'
import { HonoBase } from 'hono/hono-base'
import { RegExpRouter } from 'hono/router/reg-exp-router'

export class Hono<E extends Env> extends HonoBase<E> {
  constructor() {
    super({ router: new RegExpRouter() })
  }
}
