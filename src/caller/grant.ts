// Applies a hub's policy to one verified identity: rendered roles and groups, narrowed by the request.
import { NegotiatorError } from '../errors'
import { isWellFormed } from '../lib/unicode'
import {
  TEMPLATE,
  type ConditionalGrant,
  type Grant,
  type HubPolicy,
  type Identity,
} from './policy'
import {
  escapePatternLiteral,
  groupNameProblem,
  isPatternRole,
  matchesGroupPattern,
  patternProblem,
  roleProblem,
} from './roles'

const claimsRejected = (detail: string): NegotiatorError =>
  new NegotiatorError('caller_claims_unusable', { detail })

function claimValue(identity: Identity, name: string): string {
  const user = name === 'sub' || name === 'userId'
  const value = user ? identity.userId : identity.claims[name.slice('claims.'.length)]
  // Named as the token has it ("email"), and as the policy's template ({claims.email}).
  const claim = user ? 'user id' : `"${name.slice('claims.'.length)}" claim`
  if (typeof value === 'string' && value !== '') {
    // A lone surrogate becomes U+FFFD on the way upstream: two identities would share one name.
    if (!isWellFormed(value))
      throw claimsRejected(
        `The token's ${claim} is not well-formed Unicode; the policy's {${name}} cannot use it.`,
      )
    return value
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  throw claimsRejected(
    `The policy's {${name}} needs the token's ${claim} as a string, and the verified token has none.`,
  )
}

/**
 * Keeps a substituted value one literal segment: `.` is the level separator of group patterns, so
 * it is percent-encoded, and so is `%` itself, which keeps distinct values distinct.
 */
export function encodeSegment(value: string): string {
  return value.replace(/[%.]/g, (char) => (char === '%' ? '%25' : '%2E'))
}

/** Substitutes claims; inside patterns values are also escaped so `*` in a name stays literal. */
function render(template: string, identity: Identity, pattern: boolean): string {
  return template.replace(TEMPLATE, (_match, name: string) => {
    const value = encodeSegment(claimValue(identity, name))
    return pattern ? escapePatternLiteral(value) : value
  })
}

function claimMatches(rule: ConditionalGrant, identity: Identity): boolean {
  const value = identity.claims[rule.claim]
  if (rule.equals !== undefined) return value === rule.equals
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : []
  return list.includes(rule.includes)
}

export interface Decision extends Grant {
  minutesToExpire: number
}

/**
 * The grant for one negotiation: the policy's roles and groups for this identity, plus the
 * requested groups that the policy lets a caller ask for. The caller can only narrow, never widen.
 */
export function decide(
  hubPolicy: HubPolicy,
  identity: Identity,
  /** `ttlMinutes` is the caller's `minutesToExpire`, and is named so in messages. */
  request: { groups: readonly string[]; ttlMinutes?: number },
): Decision {
  const rules = [hubPolicy, ...hubPolicy.when.filter((rule) => claimMatches(rule, identity))]
  const roles = new Set<string>()
  const groups = new Set<string>()
  for (const rule of rules) {
    for (const role of rule.roles) {
      // Without a template the role is the policy's own text, checked when the policy was parsed.
      if (!role.includes('{')) {
        roles.add(role)
        continue
      }
      const rendered = render(role, identity, isPatternRole(role))
      const problem = roleProblem(rendered)
      if (problem !== undefined)
        throw claimsRejected(`A claim value makes a granted role invalid: it ${problem}.`)
      roles.add(rendered)
    }
    for (const group of rule.groups) {
      if (!group.includes('{')) {
        groups.add(group)
        continue
      }
      const rendered = render(group, identity, false)
      if (groupNameProblem(rendered) !== undefined)
        throw claimsRejected('A claim value makes a granted group invalid.')
      groups.add(rendered)
    }
  }
  // Rendered only when groups are requested: an identity that asks for none needs none of its claims.
  let rendered: string[] | undefined
  const requestable = (): string[] =>
    (rendered ??= hubPolicy.requestableGroups.map((template) => {
      const pattern = render(template, identity, true)
      const problem = patternProblem(pattern)
      if (problem !== undefined)
        throw claimsRejected(
          `A claim value makes a requestable group pattern invalid: it ${problem}.`,
        )
      return pattern
    }))
  for (const group of request.groups) {
    const problem = groupNameProblem(group)
    if (problem !== undefined) {
      throw new NegotiatorError('parameter_invalid', { detail: `"group" ${problem}.` })
    }
    if (!requestable().some((pattern) => matchesGroupPattern(pattern, group))) {
      throw new NegotiatorError('group_not_allowed', {
        detail: `Group "${group.slice(0, 100)}" may not be requested on this hub.`,
      })
    }
    groups.add(group)
  }
  const { ttl } = hubPolicy
  let minutesToExpire = ttl.defaultMinutes
  if (request.ttlMinutes !== undefined) {
    if (request.ttlMinutes < ttl.minMinutes || request.ttlMinutes > ttl.maxMinutes) {
      throw new NegotiatorError('parameter_invalid', {
        detail: `"minutesToExpire" must be from ${ttl.minMinutes} to ${ttl.maxMinutes} on this hub.`,
      })
    }
    minutesToExpire = request.ttlMinutes
  }
  return { roles: [...roles], groups: [...groups], minutesToExpire }
}
