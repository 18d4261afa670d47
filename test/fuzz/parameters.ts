// Query-string and form generators: names the caller may not set, odd values, floods, huge values.
import fc from 'fast-check'
import { choose, huge, messyText, written } from './text'

const PARAMETER_NAMES = [
  'hub',
  'protocol',
  'group',
  'minutesToExpire',
  // Never the caller's to choose, in any spelling.
  'userId',
  'userid',
  'USERID',
  'user',
  'id',
  'role',
  'roles',
  'Role',
  'user%49d',
  'r%6Fle',
  // Neighbours and oddities.
  'api-version',
  'clientType',
  'access_token',
  'ttlMinutes',
  'group[]',
  'hub[]',
  '__proto__',
  'constructor',
  'hasOwnProperty',
  '',
  ' hub',
  'hub%00',
  'Hub',
]
const HUBS = [
  'chat',
  'lobby',
  'CHAT',
  'Lobby',
  'nope',
  '',
  '1chat',
  'chat ',
  'chat,lobby',
  'ch%61t',
  '\uff43\uff48\uff41\uff54', // full-width "chat"
  'a'.repeat(128),
  'a'.repeat(129),
]
const PROTOCOLS = [
  'default',
  'mqtt',
  'socketio',
  'MQTT',
  'SocketIO',
  'json',
  '',
  'default ',
  'mq%74t',
]
const GROUPS = [
  'room.a',
  'room.B-1',
  'room.*',
  'room.\\*',
  'room.a b',
  'room.\u00fc',
  'room.\u0001',
  'room.%zz',
  `room.${'x'.repeat(1019)}`,
  `room.${'x'.repeat(1020)}`,
  '',
  'user.fuzz-user',
  'user.*',
  'other',
  '*',
  '**',
]
const MINUTES = [
  '0',
  '1',
  '5',
  '30',
  '60',
  '120',
  '121',
  '1440',
  '1441',
  '9999',
  '10000',
  '-1',
  '1e3',
  '0x10',
  'NaN',
  'Infinity',
  ' 5',
  '5 ',
  '\u0663', // ARABIC-INDIC DIGIT THREE
  '',
  '00060',
  '5.0',
  '+5',
  '9'.repeat(400),
]

export const valueFor = (name: string): fc.Arbitrary<string> => {
  const odd = { weight: 1, arbitrary: messyText }
  const decoded = name.toLowerCase()
  if (decoded === 'hub') return choose({ weight: 4, arbitrary: fc.constantFrom(...HUBS) }, odd)
  if (decoded === 'protocol')
    return choose({ weight: 4, arbitrary: fc.constantFrom(...PROTOCOLS) }, odd)
  if (decoded === 'group')
    return choose(
      { weight: 4, arbitrary: fc.constantFrom(...GROUPS) },
      { weight: 1, arbitrary: messyText.map((text) => `room.${text}`) },
      odd,
    )
  if (decoded === 'minutestoexpire')
    return choose({ weight: 4, arbitrary: fc.constantFrom(...MINUTES) }, odd)
  return choose(fc.constantFrom('admin', 'webpubsub.sendToGroup', ''), messyText)
}

export const parameterName = choose(
  { weight: 6, arbitrary: fc.constantFrom(...PARAMETER_NAMES) },
  { weight: 1, arbitrary: messyText },
)

/** One `name=value` pair, sometimes without `=` or without a name. */
const parameter: fc.Arbitrary<string> = parameterName.chain((name) =>
  fc
    .tuple(written(fc.constant(name)), written(valueFor(name)), fc.nat(9))
    .map(([n, v, shape]) => (shape === 0 ? n : shape === 1 ? `=${v}` : `${n}=${v}`)),
)

/** Parameters a valid negotiation may send. */
const cleanParameter = choose(
  fc.constantFrom('chat', 'lobby', 'CHAT').map((hub) => `hub=${hub}`),
  fc.constantFrom('default', 'mqtt', 'socketio').map((p) => `protocol=${p}`),
  fc.constantFrom('room.a', 'room.b', 'room.c-1').map((g) => `group=${g}`),
  fc.constantFrom('5', '30', '120').map((m) => `minutesToExpire=${m}`),
)

/** Thousands of one parameter, or one enormous one. */
const flood: fc.Arbitrary<string> = choose(
  fc
    .tuple(
      fc.constantFrom('group', 'group', 'group', 'hub', 'userId', 'x', 'group[]'),
      fc.constantFrom('room.a', 'room.a', '', '%zz', 'x'),
      // Around MAX_REQUESTED_GROUPS (20) and the 100-parameter limit, then thousands.
      fc.constantFrom(20, 21, 100, 101, 1_000, 5_000),
    )
    .map(([name, value, count]) =>
      Array.from({ length: count }, (_, i) => `${name}=${value}${name === 'group' ? i : ''}`).join(
        '&',
      ),
    ),
  fc
    .tuple(fc.constantFrom('hub', 'group', 'x', 'protocol'), huge(fc.constantFrom('a', '%41', 'é')))
    .map(([name, value]) => `${name}=${value}`),
  huge(fc.constantFrom('&', '=', '%', 'a')),
)

const joined = (items: fc.Arbitrary<string[]>): fc.Arbitrary<string> =>
  fc.tuple(items, fc.constantFrom('&', '&', '&', '&&', ';')).map(([list, sep]) => list.join(sep))

/** A query string (without `?`) or a form body. */
export const urlEncoded: fc.Arbitrary<string> = choose(
  { weight: 3, arbitrary: joined(fc.array(cleanParameter, { maxLength: 3 })) },
  { weight: 5, arbitrary: joined(fc.array(parameter, { maxLength: 8 })) },
  { weight: 1, arbitrary: flood },
  { weight: 1, arbitrary: messyText },
)
