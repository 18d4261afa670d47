// TOKEN_REUSE and TOKEN_REUSE_MIN_REMAINING → the settings of client-token reuse.

export interface TokenReuseConfig {
  /** TOKEN_REUSE: "on" (the default) or "off". */
  readonly enabled: boolean
  /** TOKEN_REUSE_MIN_REMAINING: the share of its life (exp − iat) a token must have left. */
  readonly minRemaining: number
}

export const TOKEN_REUSE_VARIABLES = ['TOKEN_REUSE', 'TOKEN_REUSE_MIN_REMAINING'] as const

/**
 * Clients are told to negotiate again at three quarters of a token's life (refreshAfter). A token
 * handed out with a quarter of its life or less left would be due at once, so the threshold must
 * lie above that, and at most at the whole life.
 */
export const MIN_REUSE_REMAINING = 0.25
export const DEFAULT_REUSE_REMAINING = 0.5

export function parseTokenReuse(
  text: (name: string) => string | undefined,
  report: (variable: string, problem: string) => void,
): TokenReuseConfig {
  const switchRaw = (text('TOKEN_REUSE') ?? 'on').toLowerCase()
  if (switchRaw !== 'on' && switchRaw !== 'off') {
    report('TOKEN_REUSE', 'must be "on" (the default: reuse client tokens) or "off"')
  }
  const remainingRaw = text('TOKEN_REUSE_MIN_REMAINING')
  const minRemaining = remainingRaw === undefined ? DEFAULT_REUSE_REMAINING : Number(remainingRaw)
  const valid = /^\d*\.?\d+$/.test(remainingRaw ?? '0.5')
  if (!(valid && minRemaining > MIN_REUSE_REMAINING && minRemaining <= 1)) {
    report(
      'TOKEN_REUSE_MIN_REMAINING',
      `must be a number above ${MIN_REUSE_REMAINING} and at most 1 (default ` +
        `${DEFAULT_REUSE_REMAINING}): the share of its life a client token must have left to be ` +
        'handed out again',
    )
  }
  return Object.freeze({ enabled: switchRaw !== 'off', minRemaining })
}
