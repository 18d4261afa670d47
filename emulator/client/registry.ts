// Every live or resumable connection, and group membership per hub.
import type { Session } from './session'

export interface Registry {
  add(session: Session): void
  /** Removes the session and its group memberships (the service forgets it). */
  remove(session: Session): void
  get(connectionId: string): Session | undefined
  all(): Session[]
  join(session: Session, group: string): void
  leave(session: Session, group: string): void
  members(hub: string, group: string): Session[]
  ofUser(hub: string, userId: string): Session[]
}

export function createRegistry(): Registry {
  const sessions = new Map<string, Session>()
  /** `${hub}\n${group}` → members; a newline cannot appear in a hub name. */
  const groups = new Map<string, Set<Session>>()
  const key = (hub: string, group: string) => `${hub}\n${group}`

  const registry: Registry = {
    add(session) {
      sessions.set(session.connectionId, session)
    },
    remove(session) {
      for (const group of [...session.groups]) registry.leave(session, group)
      sessions.delete(session.connectionId)
    },
    get: (connectionId) => sessions.get(connectionId),
    all: () => [...sessions.values()],
    join(session, group) {
      const k = key(session.hub, group)
      const members = groups.get(k) ?? new Set<Session>()
      members.add(session)
      groups.set(k, members)
      session.groups.add(group)
    },
    leave(session, group) {
      const k = key(session.hub, group)
      const members = groups.get(k)
      members?.delete(session)
      if (members?.size === 0) groups.delete(k)
      session.groups.delete(group)
    },
    members: (hub, group) => [...(groups.get(key(hub, group)) ?? [])],
    ofUser: (hub, userId) =>
      [...sessions.values()].filter((s) => s.hub === hub && s.userId === userId),
  }
  return registry
}
