// The grammar of Web PubSub client roles and group patterns, checked before anything is granted.
// Patterns follow "Wildcard group roles" (learn.microsoft.com/azure/azure-web-pubsub/concept-wildcard-group-roles).

const FIXED_ROLES = new Set(['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'])
const GROUP_ROLE = /^webpubsub\.(joinLeaveGroup|sendToGroup)\.(.+)$/s
const PATTERN_ROLE = /^webpubsub\.(joinLeaveGroups|sendToGroups)\.(.+)$/s

/** Service limit on `*` in one wildcard pattern, `**` counting as two. */
export const MAX_PATTERN_STARS = 5
export const MAX_GROUP_NAME_LENGTH = 1024

/** Why a role is not one Web PubSub understands, or undefined when it is. */
export function roleProblem(role: string): string | undefined {
  if (FIXED_ROLES.has(role)) return undefined
  const group = GROUP_ROLE.exec(role)
  if (group !== null) return groupNameProblem(group[2] ?? '')
  const pattern = PATTERN_ROLE.exec(role)
  if (pattern !== null) return patternProblem(pattern[2] ?? '')
  return 'is not a Web PubSub role (webpubsub.joinLeaveGroup[.<group>], webpubsub.sendToGroup[.<group>], webpubsub.joinLeaveGroups.<pattern>, webpubsub.sendToGroups.<pattern>)'
}

export function groupNameProblem(group: string): string | undefined {
  if (group === '') return 'names an empty group'
  if (group.length > MAX_GROUP_NAME_LENGTH)
    return `names a group longer than ${MAX_GROUP_NAME_LENGTH} characters`
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(group)) return 'names a group with control characters'
  return undefined
}

/** Counts the unescaped `*` of a pattern; undefined when an escape is left dangling. */
function countStars(pattern: string): number | undefined {
  let stars = 0
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (char === '\\') {
      if (i + 1 >= pattern.length) return undefined
      i++
    } else if (char === '*') {
      stars++
    }
  }
  return stars
}

export function patternProblem(pattern: string): string | undefined {
  const base = groupNameProblem(pattern)
  if (base !== undefined) return base
  const stars = countStars(pattern)
  if (stars === undefined) return 'ends with a lone \\ escape'
  if (stars > MAX_PATTERN_STARS)
    return `has ${stars} '*' wildcards; Web PubSub allows at most ${MAX_PATTERN_STARS}`
  return undefined
}

/** True for roles whose group part is a wildcard pattern, where substituted values must be escaped. */
export function isPatternRole(role: string): boolean {
  return /^webpubsub\.(joinLeaveGroups|sendToGroups)\./.test(role)
}

/** Makes a value literal inside a wildcard pattern: `\` escapes `*`, `?` and `\` itself. */
export function escapePatternLiteral(value: string): string {
  return value.replace(/[\\*?]/g, (char) => `\\${char}`)
}

type PatternToken =
  { kind: 'literal'; char: string } | { kind: 'one' } | { kind: 'run' } | { kind: 'any' }

function tokenize(pattern: string): PatternToken[] {
  // By code points, as matchesGroupPattern walks the name: a character outside the BMP is one
  // literal, not two halves that could never equal it.
  const chars = Array.from(pattern)
  const tokens: PatternToken[] = []
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? ''
    if (char === '\\') tokens.push({ kind: 'literal', char: chars[++i] ?? '' })
    else if (char === '?') tokens.push({ kind: 'one' })
    else if (char === '*' && chars[i + 1] === '*') {
      while (chars[i + 1] === '*') i++
      tokens.push({ kind: 'any' })
    } else if (char === '*') tokens.push({ kind: 'run' })
    else tokens.push({ kind: 'literal', char })
  }
  return tokens
}

/**
 * Matches a group name against a wildcard pattern: `?` one char but `.`, `*` a run without `.`,
 * `**` anything, `\` escapes. Simulates the pattern as a set of positions (no backtracking), so
 * a hostile name costs at most pattern length × name length steps.
 */
export function matchesGroupPattern(pattern: string, group: string): boolean {
  const tokens = tokenize(pattern)
  const close = (states: Set<number>): Set<number> => {
    for (const state of states) {
      const token = tokens[state]
      if (token !== undefined && (token.kind === 'run' || token.kind === 'any'))
        states.add(state + 1)
    }
    return states
  }
  let states = close(new Set([0]))
  for (const char of group) {
    const next = new Set<number>()
    for (const state of states) {
      const token = tokens[state]
      if (token === undefined) continue
      if (token.kind === 'literal' && token.char === char) next.add(state + 1)
      else if (token.kind === 'one' && char !== '.') next.add(state + 1)
      else if (token.kind === 'run' && char !== '.') next.add(state)
      else if (token.kind === 'any') next.add(state)
    }
    if (next.size === 0) return false
    states = close(next)
  }
  return states.has(tokens.length)
}
