// The negotiator's variables and the caller tokens for each fuzzed caller mode.
import { decodeProtectedHeader } from 'jose'
import { emulator, emulatorUrl } from '../support/emulator'
import { KvDouble } from '../support/kv-double'
import { mintUserToken, type UserTokenRequest } from '../support/user-token'
import type { CallerMode, TokenPool } from './tokens'

export const JWT_AUDIENCE = 'webpubsub-negotiator'
export const ACCESS_AUDIENCE = 'access-aud-tag'
export const ALLOWED_ORIGIN = 'https://app.example.com'

/** Requestable `room.*` groups, so that the fuzz reaches the Auth API with caller-chosen groups. */
export const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroup.user.{sub}'],
      groups: ['user.{sub}'],
      requestableGroups: ['room.*'],
      ttlMinutes: { default: 30, min: 5, max: 120 },
    },
  },
}

/** A policy template as a pattern: `{sub}` stands for the user id, however the app escapes it. */
const templatePattern = (template: string): RegExp =>
  new RegExp(
    `^${template
      .split('{sub}')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.+')}$`,
    's',
  )

/** What a negotiation on `hub` may grant under POLICY: the caller can narrow it, never widen it. */
export function grantable(hub: string): { roles: RegExp[]; groups: RegExp[] } {
  const policy = hub.toLowerCase() === 'chat' ? POLICY.hubs.chat : undefined
  return {
    roles: (policy?.roles ?? []).map(templatePattern),
    groups: [
      ...(policy?.groups ?? []).map(templatePattern),
      // requestableGroups "room.*": a requested group name under room.
      ...(policy === undefined ? [] : [/^room\./s]),
    ],
  }
}

export interface ModeSetup {
  vars: Record<string, unknown>
  pool: TokenPool
  /** Strings no answer may ever contain: every caller token and the negotiator's client secret. */
  secrets: string[]
}

/** How a mode must treat a token: accept it, refuse it, or either (an odd but signed identity). */
type Verdict = 'accept' | 'odd' | 'refuse'

interface Minted {
  token: string
  /** The user id this token names in the modes that may accept it. */
  user: string
  verdicts: Partial<Record<CallerMode, Verdict>>
}

/** The emulator's development endpoint also takes a list of audiences (support types say one). */
type MintRequest = Omit<UserTokenRequest, 'audience'> & { audience?: string | string[] }

async function mint(
  request: MintRequest,
  user: string,
  verdicts: Minted['verdicts'] = {},
): Promise<Minted> {
  return { token: await mintUserToken(request as UserTokenRequest), user, verdicts }
}

const BOTH_AUDIENCES = [JWT_AUDIENCE, ACCESS_AUDIENCE]
const EMAIL = { email: 'dana@example.com' }

/**
 * Identities an identity provider may well sign, which the policy renders into role and group
 * names: each must be rendered safely or refused with 403 caller_claims_unusable, never a 5xx.
 */
const ODD_IDENTITIES = [
  'x'.repeat(1_100),
  'a'.repeat(200),
  '\u00fc'.repeat(300),
  'line\nbreak',
  'tab\there',
  '\u0001',
  '{sub}',
  '{claims.email}',
  '*',
  '**',
  '\\',
  '..',
  'user.*',
  ' ',
  '\u202egnp.exe',
  '%2E%zz',
]

/** Tokens for jwt and for Cloudflare Access: good ones, odd identities, and ones to refuse. */
async function mintTokens(): Promise<Minted[]> {
  const minted = await Promise.all([
    mint({ sub: 'fuzz-user', audience: JWT_AUDIENCE }, 'fuzz-user', { jwt: 'accept' }),
    mint({ sub: 'fuzz-es', audience: JWT_AUDIENCE, alg: 'ES256' }, 'fuzz-es', { jwt: 'accept' }),
    // A user id with a wildcard, a dot and non-ASCII text, which the policy renders into names.
    mint({ sub: 'fuzz*.\u00fcser?', audience: JWT_AUDIENCE }, 'fuzz*.\u00fcser?', {
      jwt: 'accept',
    }),
    mint({ sub: 'u-1', audience: ACCESS_AUDIENCE, claims: EMAIL }, 'dana@example.com', {
      'cloudflare-access': 'accept',
    }),
    ...ODD_IDENTITIES.map((user) =>
      mint({ sub: user, audience: JWT_AUDIENCE }, user, { jwt: 'odd' }),
    ),
    ...ODD_IDENTITIES.map((user) =>
      mint({ sub: 'u-odd', audience: ACCESS_AUDIENCE, claims: { email: user } }, user, {
        'cloudflare-access': 'odd',
      }),
    ),
    // Refused everywhere.
    mint({ sub: 'expired', audience: BOTH_AUDIENCES, claims: EMAIL, expiresInSeconds: -600 }, ''),
    mint({ sub: 'early', audience: BOTH_AUDIENCES, claims: EMAIL, notBeforeSeconds: 600 }, ''),
    mint({ sub: 'other', audience: 'another-api', claims: EMAIL }, ''),
    mint(
      {
        sub: 'evil',
        audience: BOTH_AUDIENCES,
        claims: EMAIL,
        issuer: 'https://evil.example.com/oidc',
      },
      '',
    ),
    mint({ sub: 'nokid', audience: BOTH_AUDIENCES, claims: EMAIL, kid: 'not-a-known-kid' }, ''),
    mint(
      {
        sub: 'big',
        audience: BOTH_AUDIENCES,
        claims: { ...EMAIL, padding: 'x'.repeat(9_000) },
      },
      '',
    ),
    // Access accepts RS256 only, and here needs a string email claim.
    mint({ sub: 'es', audience: ACCESS_AUDIENCE, alg: 'ES256', claims: EMAIL }, ''),
    mint({ sub: 'no-email', audience: ACCESS_AUDIENCE }, ''),
    mint({ sub: 'list', audience: ACCESS_AUDIENCE, claims: { email: ['a@x', 'b@x'] } }, ''),
    mint({ sub: 'number', audience: ACCESS_AUDIENCE, claims: { email: 42 } }, ''),
  ])
  // alg "none" over a valid payload.
  const payload = minted[0]?.token.split('.')[1] ?? ''
  const none = btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '')
  return [...minted, { token: `${none}.${payload}.`, user: '', verdicts: {} }]
}

function poolFor(mode: CallerMode, minted: Minted[]): TokenPool {
  const valid = new Map<string, string>()
  const odd = new Map<string, string>()
  const refused: string[] = []
  for (const { token, user, verdicts } of minted) {
    const verdict = verdicts[mode] ?? 'refuse'
    if (verdict === 'accept') valid.set(token, user)
    else if (verdict === 'odd') odd.set(token, user)
    else refused.push(token)
  }
  const kids = new Set<string>()
  for (const { token } of minted) {
    const kid = decodeProtectedHeader(token).kid
    if (kid !== undefined && kid !== 'not-a-known-kid') kids.add(kid)
  }
  return { valid, odd, refused, kids: [...kids] }
}

function varsFor(mode: CallerMode): Record<string, unknown> {
  const common = { POLICY, TOKEN_CACHE: new KvDouble({ now: () => Date.now() }) }
  switch (mode) {
    case 'jwt':
      return {
        ...common,
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: `${emulatorUrl()}/oidc`,
        AUTH_AUDIENCE: JWT_AUDIENCE,
        AUTH_COOKIE: 'session',
        CORS_ORIGINS: ALLOWED_ORIGIN,
      }
    case 'cloudflare-access':
      return {
        ...common,
        AUTH_MODE: 'cloudflare-access',
        CF_ACCESS_TEAM_DOMAIN: `${emulatorUrl()}/oidc`,
        CF_ACCESS_AUD: ACCESS_AUDIENCE,
        AUTH_USER_CLAIM: 'email',
        CORS_ORIGINS: ALLOWED_ORIGIN,
      }
    case 'anonymous':
      return { ...common, AUTH_MODE: 'anonymous', CORS_ORIGINS: '*' }
  }
}

export async function setUpMode(mode: CallerMode): Promise<ModeSetup> {
  const minted = await mintTokens()
  const credentials = await emulator.credentials()
  return {
    vars: varsFor(mode),
    pool: poolFor(mode, minted),
    secrets: [
      ...minted.map(({ token }) => token),
      credentials.apps.ownerSecret.clientSecret ?? 'no-secret',
    ],
  }
}
