// Body generators: JSON objects with odd types, broken, nested and huge JSON, forms and binary.
import fc from 'fast-check'
import { parameterName, urlEncoded, valueFor } from './parameters'
import { choose, huge } from './text'

const BROKEN_JSON = [
  '{',
  '{"hub":',
  '{"hub":"chat"',
  '{"hub":"chat"}}',
  '{"hub":"chat",}',
  "{'hub':'chat'}",
  '{"hub":"\\x"}',
  '{"hub":"\\ud800"}',
  '{"group":["room.a","\\udc00"]}',
  '\ufeff{"hub":"chat"}',
  'nul',
  '[',
  '"',
  '{"hub":"chat"} {"hub":"lobby"}',
  '{"hub":"chat","hub":"lobby"}',
  '{"__proto__":{"hub":"lobby"}}',
]

const jsonField = (name: string): fc.Arbitrary<unknown> =>
  choose(
    { weight: 4, arbitrary: valueFor(name) },
    { weight: 2, arbitrary: fc.array(valueFor(name), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  )

const jsonObject: fc.Arbitrary<string> = fc
  .uniqueArray(parameterName, { maxLength: 5 })
  .chain((names) =>
    fc.tuple(...names.map((name) => jsonField(name).map((v) => [name, v] as const))),
  )
  .map((entries) => JSON.stringify(Object.fromEntries(entries)))

const nestedJson: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom('array', 'object', 'field'))
  .map(([depth, shape]) => {
    if (shape === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`
    if (shape === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    return `{"group":${'['.repeat(depth)}"room.a"${']'.repeat(depth)}}`
  })

const truncatedJson: fc.Arbitrary<string> = fc
  .tuple(jsonObject, fc.nat())
  .map(([text, at]) => text.slice(0, at % (text.length + 1)))

const hugeBody: fc.Arbitrary<string> = choose(
  huge(fc.constantFrom('x', ' ', '\n')),
  huge(fc.constant('a')).map((text) => `{"hub":"${text}"}`),
  huge(fc.constant('group=room.a&')),
  fc.constant(JSON.stringify({ group: Array.from({ length: 2_000 }, (_, i) => `room.${i}`) })),
)

const binaryBody: fc.Arbitrary<Uint8Array> = choose(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(
    Uint8Array.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), // UTF-16LE "{}" with a BOM
    Uint8Array.from([0x7b, 0x22, 0x68, 0x75, 0x62, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // {"hub":"<bad UTF-8>"}
    Uint8Array.from([0x68, 0x75, 0x62, 0x3d, 0xed, 0xa0, 0x80]), // hub=<CESU-8 lone surrogate>
    Uint8Array.from([0x00, 0x00, 0x00]),
  ),
)

export const body = choose<string | Uint8Array | undefined>(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: jsonObject },
  { weight: 3, arbitrary: urlEncoded },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: nestedJson },
  { weight: 1, arbitrary: fc.constantFrom(...BROKEN_JSON) },
  { weight: 1, arbitrary: truncatedJson },
  { weight: 1, arbitrary: hugeBody },
  { weight: 1, arbitrary: binaryBody },
)
