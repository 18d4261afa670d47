// Text generators for the fuzz: messy Unicode, broken percent-escapes, header-safe ASCII, huge values.
import fc from 'fast-check'

/**
 * fc.oneof that may shrink a failing case to its first choice, so counter-examples come out minimal:
 * the first choice is always the simplest.
 */
export const choose = <T>(
  ...choices: (fc.Arbitrary<T> | fc.WeightedArbitrary<T>)[]
): fc.Arbitrary<T> => fc.oneof({ withCrossShrink: true }, ...choices)

export const BROKEN_ESCAPES = [
  '%',
  '%%',
  '%2',
  '%zz',
  '%G1',
  '%E0%A4%A',
  '%E0%A4',
  '%ED%A0%80', // a lone high surrogate, encoded as if it were a code point (CESU-8 / WTF-8)
  '%ED%B0%80', // a lone low surrogate
  '%uD800', // the non-standard JavaScript escape()
  '%C0%AF', // an overlong '/'
  '%C0%80',
  '%FF%FE',
  '%F0%90%80',
  '%EF%BF%BD',
  '%00',
  '%0D%0A',
  '%25',
  '%26',
  '%3D',
  '%2B',
  '+',
]
const ODD_CHARACTERS = [
  '&',
  '=',
  '#',
  '?',
  ';',
  ',',
  ' ',
  '\t',
  '\u0000',
  '\u0001',
  '\u007f',
  '\u00a0',
  '\u202e',
  '\ufeff',
  '\uffff',
  '*',
  '\\',
  '"',
  "'",
  '<',
  '/',
  '..',
]

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))

/** Short text mixing ASCII, Unicode, lone surrogates, odd characters and broken percent-escapes. */
export const messyText: fc.Arbitrary<string> = fc
  .array(
    choose(
      { weight: 4, arbitrary: fc.string({ maxLength: 6 }) },
      { weight: 2, arbitrary: fc.constantFrom(...BROKEN_ESCAPES) },
      { weight: 1, arbitrary: loneSurrogate },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom(...ODD_CHARACTERS) },
    ),
    { maxLength: 4 },
  )
  .map((parts) => parts.join(''))

/** encodeURIComponent that leaves text with lone surrogates as it is instead of throwing. */
function encodeLoosely(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return text
  }
}

/** Percent-encodes everything non-ASCII; a lone surrogate becomes its three WTF-8 bytes. */
export function encodeAscii(text: string): string {
  let out = ''
  for (const char of text) {
    const code = char.charCodeAt(0)
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('')
    } else {
      out += code < 0x80 ? char : encodeURIComponent(char)
    }
  }
  return out
}

/** The same text written raw, percent-encoded, with `+` for spaces, or encoded twice. */
export const written = (text: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(text, fc.constantFrom('raw', 'raw', 'encoded', 'plus', 'twice')).map(([value, how]) => {
    if (how === 'encoded') return encodeLoosely(value)
    if (how === 'plus') return encodeLoosely(value).replace(/%20/g, '+')
    if (how === 'twice') return encodeLoosely(encodeLoosely(value))
    return value
  })

/** Printable ASCII plus tab and the control characters a header value may hold in workerd. */
const headerCharacter = choose(
  { weight: 20, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.constantFrom(0x01, 0x08, 0x09, 0x0b, 0x1f, 0x7f) },
)
/**
 * Header text. workerd refuses NUL, CR and LF; it accepts other non-ASCII text only by encoding it
 * as UTF-8 with a console warning per header, so Unicode reaches headers percent-encoded instead.
 */
export const headerText = (maxLength = 40): fc.Arbitrary<string> =>
  fc.array(headerCharacter, { maxLength }).map((codes) => String.fromCharCode(...codes))

/** Past the negotiator's 4 KiB body and 8 KiB token limits; the first, 1, is where shrinking ends. */
const HUGE_LENGTHS = [1, 4_097, 8_193, 16_385, 65_536, 200_000]
export const huge = (unit: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(unit, fc.constantFrom(...HUGE_LENGTHS))
    .map(([text, length]) =>
      text === ''
        ? 'x'.repeat(length)
        : text.repeat(Math.ceil(length / text.length)).slice(0, length),
    )
