// Wildcard group patterns of the 2026 `webpubsub.joinLeaveGroups.<pattern>` / `sendToGroups.<pattern>` roles.
// Roles: https://learn.microsoft.com/azure/azure-web-pubsub/concept-client-protocols#permissions

/** Tells whether a group name matches a compiled pattern. */
export type GroupMatcher = (group: string) => boolean

/** Azure allows at most five `*` in a pattern, counting both stars of `**`. */
export const MAX_STARS = 5

type Token =
  | { kind: 'literal'; char: string }
  | { kind: 'one' } // `?`
  | { kind: 'segment' } // `*`
  | { kind: 'any' } // `**`

/**
 * Compiles a pattern: `?` one char except `.`, `*` any run without `.`, `**` any run including
 * `.`, `\` makes the next char literal, anything else is literal. Returns `undefined` for a
 * pattern that must grant nothing: empty, more than five unescaped `*`, or a trailing lone `\`.
 *
 * Unverified: Azure documents `\` only before `\`, `*` and `?`; here it escapes any next
 * char, so `\.` is a literal dot here. `***` reads as `**` then `*`, i.e. the same as `**`.
 */
export function compileGroupPattern(pattern: string): GroupMatcher | undefined {
  const tokens = tokenize(pattern)
  if (tokens === undefined || tokens.length === 0) return undefined
  return (group) => matches(tokens, group)
}

function tokenize(pattern: string): Token[] | undefined {
  // By code point, so that `?` or an escape covers a whole emoji, not half a surrogate pair.
  const chars = Array.from(pattern)
  const tokens: Token[] = []
  let stars = 0
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string
    if (char === '\\') {
      const next = chars[++i]
      if (next === undefined) return undefined
      tokens.push({ kind: 'literal', char: next })
    } else if (char === '*' && chars[i + 1] === '*') {
      stars += 2
      i++
      tokens.push({ kind: 'any' })
    } else if (char === '*') {
      stars += 1
      tokens.push({ kind: 'segment' })
    } else if (char === '?') {
      tokens.push({ kind: 'one' })
    } else {
      tokens.push({ kind: 'literal', char })
    }
  }
  return stars > MAX_STARS ? undefined : tokens
}

/**
 * Simulates the pattern as an NFA (one state per token) instead of compiling a backtracking
 * RegExp: five stars against a 1 KiB group name would otherwise be a polynomial blow-up.
 * Time is O(tokens × group length).
 */
function matches(tokens: Token[], group: string): boolean {
  let states = closure(tokens, new Set([0]))
  for (const char of group) {
    const next = new Set<number>()
    for (const index of states) {
      const token = tokens[index]
      if (token === undefined) continue // the accepting state consumes nothing
      if (token.kind === 'literal' && token.char === char) next.add(index + 1)
      if (token.kind === 'one' && char !== '.') next.add(index + 1)
      if (token.kind === 'segment' && char !== '.') next.add(index)
      if (token.kind === 'any') next.add(index)
    }
    if (next.size === 0) return false
    states = closure(tokens, next)
  }
  return states.has(tokens.length)
}

/** Adds the states reachable by letting a `*` or `**` match nothing. */
function closure(tokens: Token[], states: Set<number>): Set<number> {
  for (let index = 0; index < tokens.length; index++) {
    const kind = tokens[index]?.kind
    if (states.has(index) && (kind === 'segment' || kind === 'any')) states.add(index + 1)
  }
  return states
}
