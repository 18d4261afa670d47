// What a grant's roles let a connection do with a group, as Web PubSub decides it.
// Roles: https://learn.microsoft.com/azure/azure-web-pubsub/concept-client-protocols#permissions

/** One step of a group pattern: a literal character, `?`, `*` (no dot) or `**` (anything). */
type Step = string | 'one' | 'segment' | 'any'

/** Azure allows at most five `*` in a pattern, counting both of `**`. */
const MAX_STARS = 5

/**
 * Whether `roles` (a grant's `roles`) let the connection send to `group`:
 * `webpubsub.sendToGroup` (any group), `webpubsub.sendToGroup.<group>` (that group) or
 * `webpubsub.sendToGroups.<pattern>` (`?` one character and `*` a run, neither crossing a dot;
 * `**` a run across dots; `\` makes the next character literal). Group names are case-sensitive.
 */
export function canSendToGroup(roles: readonly string[], group: string): boolean {
  return allows(roles, 'webpubsub.sendToGroup', group)
}

/** Whether `roles` let the connection join and leave `group`: the same rules, for joinLeave. */
export function canJoinGroup(roles: readonly string[], group: string): boolean {
  return allows(roles, 'webpubsub.joinLeaveGroup', group)
}

function allows(roles: readonly string[], action: string, group: string): boolean {
  const one = `${action}.`
  const pattern = `${action}s.`
  return roles.some((role) => {
    if (role === action) return true
    // `webpubsub.sendToGroup.` alone names no group, not the empty one.
    if (role.startsWith(one)) return role.length > one.length && role.slice(one.length) === group
    if (!role.startsWith(pattern)) return false
    const steps = parsePattern(role.slice(pattern.length))
    return steps !== undefined && matches(steps, Array.from(group))
  })
}

/** A pattern's steps; undefined when it grants nothing (empty, over five stars, a lone `\`). */
function parsePattern(pattern: string): Step[] | undefined {
  const chars = Array.from(pattern)
  const steps: Step[] = []
  let stars = 0
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? ''
    if (char === '\\') {
      i++
      if (i === chars.length) return undefined
      steps.push(`=${chars[i]}`)
    } else if (char === '*') {
      const double = chars[i + 1] === '*'
      if (double) i++
      stars += double ? 2 : 1
      steps.push(double ? 'any' : 'segment')
    } else {
      steps.push(char === '?' ? 'one' : `=${char}`)
    }
  }
  return steps.length === 0 || stars > MAX_STARS ? undefined : steps
}

/**
 * Dynamic programming over (step, character) from the end backwards: `fits[s][c]` says whether
 * steps s… match characters c…; linear in pattern × name, whatever the stars.
 */
function matches(steps: readonly Step[], chars: readonly string[]): boolean {
  const n = chars.length
  let next: boolean[] = Array.from({ length: n + 1 }, (_, c) => c === n)
  for (let s = steps.length - 1; s >= 0; s--) {
    const step = steps[s]
    const fits: boolean[] = new Array<boolean>(n + 1).fill(false)
    for (let c = n; c >= 0; c--) {
      const char = chars[c]
      const here = char !== undefined
      const notDot = here && char !== '.'
      if (step === 'any') fits[c] = (next[c] ?? false) || (here && (fits[c + 1] ?? false))
      else if (step === 'segment')
        fits[c] = (next[c] ?? false) || (notDot && (fits[c + 1] ?? false))
      else if (step === 'one') fits[c] = notDot && (next[c + 1] ?? false)
      else fits[c] = here && step === `=${char}` && (next[c + 1] ?? false)
    }
    next = fits
  }
  return next[0] ?? false
}
