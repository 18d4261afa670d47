// Web PubSub data-plane roles an app can hold; below config.ts and demo.ts so neither imports the other.

/**
 * Web PubSub Service Owner (every data-plane API, the Auth API included), Web PubSub Service Reader
 * (read-only APIs: it cannot generate client tokens), or no role assignment. See
 * https://learn.microsoft.com/azure/azure-web-pubsub/howto-authorize-from-application
 */
export type BuiltInRole = 'owner' | 'reader' | 'none'
export const ROLES: readonly BuiltInRole[] = ['owner', 'reader', 'none']

/**
 * A custom role as Azure defines one (`az role definition create --role-definition <file>`): its
 * name and the data actions it allows, `*` standing for any text, minus its NotDataActions. The
 * files in deploy/roles/ are accepted as they are.
 */
export interface CustomRole {
  name: string
  dataActions: readonly string[]
  notDataActions: readonly string[]
}

export type Role = BuiltInRole | CustomRole

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

/**
 * A built-in role's name, or a role definition object (`Name`, `DataActions`, optional
 * `NotDataActions`, as Azure spells them, or the same in camel case). Returns the role, or a
 * problem to report.
 */
export function parseRole(value: unknown): { role: Role } | { problem: string } {
  if (typeof value === 'string') {
    return ROLES.includes(value as BuiltInRole)
      ? { role: value as BuiltInRole }
      : { problem: `must be one of ${ROLES.join(', ')} or a role definition` }
  }
  if (typeof value !== 'object' || value === null) {
    return { problem: `must be one of ${ROLES.join(', ')} or a role definition` }
  }
  const fields = value as Record<string, unknown>
  const name = fields.Name ?? fields.name
  const dataActions = fields.DataActions ?? fields.dataActions
  const notDataActions = fields.NotDataActions ?? fields.notDataActions ?? []
  if (typeof name !== 'string' || name === '') return { problem: 'a role definition needs a Name' }
  if (!isStringList(dataActions) || !isStringList(notDataActions)) {
    return {
      problem: 'a role definition needs DataActions (and NotDataActions) as lists of strings',
    }
  }
  return { role: { name, dataActions, notDataActions } }
}

export const roleName = (role: Role): string => (typeof role === 'string' ? role : role.name)

/** Azure's action patterns: case-insensitive, `*` for any run of characters. */
function matchesAction(pattern: string, action: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${source}$`, 'i').test(action)
}

/**
 * Owner has every data action (`…/WebPubSub/*`); Reader only `…/read` ones; none has nothing; a
 * custom role what its DataActions match and its NotDataActions do not.
 */
export function roleGrants(role: Role, dataAction: string): boolean {
  if (role === 'owner') return true
  if (role === 'reader') return dataAction.endsWith('/read')
  if (role === 'none') return false
  return (
    role.dataActions.some((pattern) => matchesAction(pattern, dataAction)) &&
    !role.notDataActions.some((pattern) => matchesAction(pattern, dataAction))
  )
}
