// Turns a client token's `role` claim into join/leave and send permissions.
// https://learn.microsoft.com/azure/azure-web-pubsub/concept-client-protocols#permissions
import { compileGroupPattern, type GroupMatcher } from './group-pattern'

export interface Permissions {
  canJoinLeave(group: string): boolean
  canSend(group: string): boolean
}

interface Grants {
  all: boolean
  groups: Set<string>
  patterns: GroupMatcher[]
}

/**
 * Role names per action. The group after `.` may itself contain dots. Group names are
 * case-sensitive in Azure, and so are role names here (unverified for role names).
 */
const ROLES = {
  joinLeave: {
    all: 'webpubsub.joinLeaveGroup',
    one: 'webpubsub.joinLeaveGroup.',
    pattern: 'webpubsub.joinLeaveGroups.',
  },
  send: {
    all: 'webpubsub.sendToGroup',
    one: 'webpubsub.sendToGroup.',
    pattern: 'webpubsub.sendToGroups.',
  },
} as const

export function permissionsFromRoles(roles: readonly string[]): Permissions {
  const joinLeave = grantsFor(roles, ROLES.joinLeave)
  const send = grantsFor(roles, ROLES.send)
  return {
    canJoinLeave: (group) => allows(joinLeave, group),
    canSend: (group) => allows(send, group),
  }
}

function grantsFor(
  roles: readonly string[],
  names: { all: string; one: string; pattern: string },
): Grants {
  const grants: Grants = { all: false, groups: new Set(), patterns: [] }
  for (const role of roles) {
    if (role === names.all) {
      grants.all = true
    } else if (role.startsWith(names.pattern)) {
      // An invalid pattern (e.g. six `*`) grants nothing.
      const matcher = compileGroupPattern(role.slice(names.pattern.length))
      if (matcher) grants.patterns.push(matcher)
    } else if (role.startsWith(names.one)) {
      const group = role.slice(names.one.length)
      if (group.length > 0) grants.groups.add(group)
    }
  }
  return grants
}

function allows(grants: Grants, group: string): boolean {
  return grants.all || grants.groups.has(group) || grants.patterns.some((match) => match(group))
}
