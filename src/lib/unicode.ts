// Checks that text can travel as UTF-8 unchanged: names built from it must stay distinct upstream.

/**
 * False for text holding a lone UTF-16 surrogate. No UTF-8 encoder can carry one: URLSearchParams
 * and TextEncoder silently substitute U+FFFD, so two different names would reach Web PubSub as one.
 */
export function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text)
}
