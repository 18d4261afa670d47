// Control routes of one resource's switches: the outage switch and per-resource role overrides.
import { Hono } from 'hono'
import type { AppEnv } from '../http/context'
import { parseRole, roleName } from '../roles'
import type { ResourceState } from '../state'
import { badRequest, readJson } from './json'

/** Served on every origin, acting on that origin's resource (the main origin: resource 0). */
export function resourceRoutes(state: ResourceState): Hono<AppEnv> {
  const control = new Hono<AppEnv>()
  const overrides = () =>
    Object.fromEntries([...state.roleOverrides].map(([id, role]) => [id, roleName(role)]))

  control.get('/outage', (c) => c.json({ down: state.down }, 200))
  control.post('/outage', async (c) => {
    const { down } = await readJson(c.req.raw)
    if (typeof down !== 'boolean') return badRequest('down must be true or false')
    state.down = down
    return c.json({ down }, 200)
  })

  // Azure assigns roles per resource: an operator may forget the second one. The shared
  // assignments (PUT /_emulator/role-assignments on the main origin) apply where no override is.
  control.get('/role-overrides', (c) => c.json({ overrides: overrides() }, 200))
  control.put('/role-overrides', async (c) => {
    const { clientId, role: raw } = await readJson(c.req.raw)
    if (typeof clientId !== 'string' || !state.apps.has(clientId))
      return badRequest('clientId names no registered app')
    if (raw === null) {
      state.roleOverrides.delete(clientId)
      return c.json({ clientId, role: roleName(state.roleOf(clientId)), overridden: false }, 200)
    }
    const parsed = parseRole(raw)
    if ('problem' in parsed) return badRequest(`role ${parsed.problem} (or null to drop it)`)
    state.roleOverrides.set(clientId, parsed.role)
    return c.json({ clientId, role: roleName(parsed.role), overridden: true }, 200)
  })
  control.delete('/role-overrides', (c) => {
    state.roleOverrides.clear()
    return c.body(null, 204)
  })

  return control
}
