// The emulator's configuration file (JSON): tenant, apps, role assignments, latency, settings, resources.
import { readFile } from 'node:fs/promises'
import { DEMO_TENANT_DOMAIN, DEMO_TENANT_ID } from './demo'
import { isRouteName, type RouteName } from './lib/route-names'
import { isResourceCount, MAX_RESOURCES, MIN_RESOURCES } from './resources/count'
import { parseRole, type Role } from './roles'

export interface Settings {
  /** `expires_in` of Entra access tokens; real Entra varies it (60–90 min by default). */
  entraTokenLifetimeSeconds: number
  /** `refresh_in` in token responses; null leaves it out. */
  entraRefreshInSeconds: number | null
}

export const DEFAULT_SETTINGS: Settings = {
  entraTokenLifetimeSeconds: 3599,
  entraRefreshInSeconds: null,
}

export interface AppConfig {
  clientId: string
  objectId?: string
  displayName?: string
  secrets?: { value: string; expired?: boolean }[]
  /** A CERTIFICATE block (a private key next to it is ignored). */
  certificatePem?: string
  role?: Role
}

export interface EmulatorConfig {
  tenantId: string
  /** Extra names accepted in place of the tenant id in paths (`contoso.onmicrosoft.com`). */
  tenantDomains: string[]
  apps: AppConfig[]
  /** clientId → role; overrides the role given with an app, including the demo apps. */
  roleAssignments: Record<string, Role>
  latencyMs: Partial<Record<RouteName, number>>
  settings: Settings
  /**
   * The resource's access key, when local auth is enabled: WebSocket connects then also accept
   * HS256 tokens signed with it, and the demo credentials include a connection string.
   */
  accessKey?: string
  /** How many Web PubSub resources to run (1–5); `startEmulator({ resources })` overrides it. */
  resources?: number
}

export function defaultConfig(): EmulatorConfig {
  return {
    tenantId: DEMO_TENANT_ID,
    tenantDomains: [DEMO_TENANT_DOMAIN],
    apps: [],
    roleAssignments: {},
    latencyMs: {},
    settings: { ...DEFAULT_SETTINGS },
  }
}

export async function loadConfig(file: string | undefined): Promise<EmulatorConfig> {
  if (file === undefined) return defaultConfig()
  const raw: unknown = JSON.parse(await readFile(file, 'utf8'))
  return parseConfig(raw, file)
}

/** Validates a parsed config and reports every problem at once. */
export function parseConfig(raw: unknown, source = 'config'): EmulatorConfig {
  const problems: string[] = []
  const config = defaultConfig()
  if (typeof raw !== 'object' || raw === null) throw new Error(`${source}: expected a JSON object`)
  const input = raw as Record<string, unknown>
  if (input.tenantId !== undefined) {
    if (typeof input.tenantId === 'string') config.tenantId = input.tenantId
    else problems.push('tenantId must be a string')
  }
  if (input.tenantDomains !== undefined) {
    if (
      Array.isArray(input.tenantDomains) &&
      input.tenantDomains.every((d) => typeof d === 'string')
    )
      config.tenantDomains = input.tenantDomains
    else problems.push('tenantDomains must be an array of strings')
  }
  if (input.apps !== undefined) {
    if (Array.isArray(input.apps)) {
      input.apps.forEach((app: unknown, i) => {
        const a = app as AppConfig
        if (typeof a?.clientId !== 'string') problems.push(`apps[${i}].clientId must be a string`)
        else {
          const parsed = a.role === undefined ? undefined : parseRole(a.role)
          if (parsed !== undefined && 'problem' in parsed)
            problems.push(`apps[${i}].role ${parsed.problem}`)
          else config.apps.push({ ...a, role: parsed?.role })
        }
      })
    } else problems.push('apps must be an array')
  }
  for (const [clientId, role] of Object.entries(asObject(input.roleAssignments))) {
    if (clientId === '//') continue
    const parsed = parseRole(role)
    if ('problem' in parsed) problems.push(`roleAssignments.${clientId} ${parsed.problem}`)
    else config.roleAssignments[clientId] = parsed.role
  }
  for (const [route, ms] of Object.entries(asObject(input.latencyMs))) {
    if (isRouteName(route) && typeof ms === 'number' && ms >= 0) config.latencyMs[route] = ms
    else problems.push(`latencyMs.${route}: unknown route or not a number ≥ 0`)
  }
  if (input.accessKey !== undefined) {
    if (
      typeof input.accessKey === 'string' &&
      input.accessKey !== '' &&
      !input.accessKey.includes(';')
    )
      config.accessKey = input.accessKey
    else problems.push('accessKey must be a non-empty string without ";"')
  }
  if (input.resources !== undefined) {
    if (isResourceCount(input.resources)) config.resources = input.resources
    else problems.push(`resources must be an integer ${MIN_RESOURCES}–${MAX_RESOURCES}`)
  }
  const settingsProblem = applySettings(config.settings, asObject(input.settings))
  if (settingsProblem) problems.push(settingsProblem)
  if (problems.length > 0) throw new Error(`${source}: ${problems.join('; ')}`)
  return config
}

/** Applies a settings patch in place; returns a problem description or undefined. */
export function applySettings(
  target: Settings,
  patch: Record<string, unknown>,
): string | undefined {
  const lifetime = patch.entraTokenLifetimeSeconds
  const refreshIn = patch.entraRefreshInSeconds
  if (lifetime !== undefined && !(Number.isInteger(lifetime) && (lifetime as number) >= 1))
    return 'entraTokenLifetimeSeconds must be an integer ≥ 1'
  if (
    refreshIn !== undefined &&
    refreshIn !== null &&
    !(Number.isInteger(refreshIn) && (refreshIn as number) >= 1)
  )
    return 'entraRefreshInSeconds must be an integer ≥ 1 or null'
  if (lifetime !== undefined) target.entraTokenLifetimeSeconds = lifetime as number
  if (refreshIn !== undefined) target.entraRefreshInSeconds = refreshIn as number | null
  return undefined
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
}
