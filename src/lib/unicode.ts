// Checks that text can travel as UTF-8 unchanged: names built from it must stay distinct upstream.

/**
 * False for text holding a lone UTF-16 surrogate. No UTF-8 encoder can carry one: URLSearchParams
 * and TextEncoder silently substitute U+FFFD, so two different names would reach Web PubSub as one.
 * The runtime's own String.prototype.isWellFormed (ES2024) where it has one: no regex per value.
 */
export const isWellFormed: (text: string) => boolean = (() => {
  const native = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed
  return native === undefined
    ? (text: string) => !/\p{Cs}/u.test(text)
    : (text: string) => native.call(text)
})()
