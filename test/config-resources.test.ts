import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES, MAX_RESOURCES, parseConfig } from '../src/config'

const entra = {
  AUTH_MODE: 'anonymous',
  AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  AZURE_CLIENT_SECRET: 'a-client-secret-value',
  WEBPUBSUB_ENDPOINT: 'https://contoso.webpubsub.azure.com',
  WEBPUBSUB_HUBS: 'chat',
}
const KEY_1 = 'PrimaryAccessKey0123456789abcdefABCDEF='
const KEY_2 = 'SecondaryAccessKey0123456789abcdefABCD='
const connection = (host: string, key: string) =>
  `Endpoint=https://${host};AccessKey=${key};Version=1.0;`
const keyMode = {
  AUTH_MODE: 'anonymous',
  WEBPUBSUB_CONNECTION_STRING: connection('contoso.webpubsub.azure.com', KEY_1),
  WEBPUBSUB_HUBS: 'chat',
}

const problemsOf = (env: Record<string, unknown>) => {
  const result = parseConfig(env)
  if (result.ok) throw new Error('expected problems')
  return result.problems
}
const configOf = (env: Record<string, unknown>) => {
  const result = parseConfig(env)
  if (!result.ok) throw new Error(JSON.stringify(result.problems))
  return result.config
}

describe('config: failover resources', () => {
  it('has the primary alone without secondaries', () => {
    expect(configOf(entra).resources).toEqual([{ endpoint: 'https://contoso.webpubsub.azure.com' }])
  })

  it('lists the secondaries after the primary, in order, as origins', () => {
    const config = configOf({
      ...entra,
      WEBPUBSUB_SECONDARY_ENDPOINTS:
        ' https://contoso-weu.webpubsub.azure.com/ ,https://contoso-eastasia.webpubsub.azure.com,',
    })
    expect(config.resources.map((r) => r.endpoint)).toEqual([
      'https://contoso.webpubsub.azure.com',
      'https://contoso-weu.webpubsub.azure.com',
      'https://contoso-eastasia.webpubsub.azure.com',
    ])
    expect(config.longestEndpoint).toBe('https://contoso-eastasia.webpubsub.azure.com')
    expect(config.endpoint).toBe('https://contoso.webpubsub.azure.com')
  })

  it.each([
    ['http://contoso-weu.example', /entry 1 must use https/],
    ['https://contoso-weu.webpubsub.azure.com/api', /entry 1 must be an origin only/],
    ['not a url', /entry 1 must be an absolute URL/],
    ['https://CONTOSO.webpubsub.azure.com', /entry 1 names the primary or an earlier entry again/],
  ])('validates each secondary as WEBPUBSUB_ENDPOINT is validated: %s', (value, message) => {
    const problems = problemsOf({ ...entra, WEBPUBSUB_SECONDARY_ENDPOINTS: value })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ variable: 'WEBPUBSUB_SECONDARY_ENDPOINTS' })
    expect(problems[0]?.problem).toMatch(message)
  })

  it(`allows at most ${MAX_RESOURCES} resources`, () => {
    const many = Array.from({ length: MAX_RESOURCES }, (_, i) => `https://r${i}.example`)
    const problems = problemsOf({ ...entra, WEBPUBSUB_SECONDARY_ENDPOINTS: many.join(',') })
    expect(problems.map((p) => p.problem)).toEqual([
      `lists ${MAX_RESOURCES} resources; at most ${MAX_RESOURCES - 1} secondaries`,
    ])
  })

  it('takes each secondary connection string with its own key in access-key mode', () => {
    const config = configOf({
      ...keyMode,
      WEBPUBSUB_SECONDARY_CONNECTION_STRINGS: connection('contoso-weu.webpubsub.azure.com', KEY_2),
    })
    expect(config.resources).toEqual([
      { endpoint: 'https://contoso.webpubsub.azure.com', accessKey: KEY_1 },
      { endpoint: 'https://contoso-weu.webpubsub.azure.com', accessKey: KEY_2 },
    ])
  })

  it('refuses a malformed secondary connection string by position, never echoing it', () => {
    const problems = problemsOf({
      ...keyMode,
      WEBPUBSUB_SECONDARY_CONNECTION_STRINGS: `${connection('a.example', KEY_2)},Endpoint=https://b.example;AccessKey=`,
    })
    expect(problems).toEqual([
      { variable: 'WEBPUBSUB_SECONDARY_CONNECTION_STRINGS', problem: 'entry 2 has no AccessKey=' },
    ])
    expect(JSON.stringify(problems)).not.toContain(KEY_2)
  })

  it('refuses the list of the other mode, naming the right one', () => {
    const inEntra = problemsOf({
      ...entra,
      WEBPUBSUB_SECONDARY_CONNECTION_STRINGS: connection('contoso-weu.webpubsub.azure.com', KEY_2),
    })
    expect(inEntra).toHaveLength(1)
    expect(inEntra[0]?.variable).toBe('WEBPUBSUB_SECONDARY_CONNECTION_STRINGS')
    expect(inEntra[0]?.problem).toMatch(/WEBPUBSUB_SECONDARY_ENDPOINTS/)
    expect(JSON.stringify(inEntra)).not.toContain(KEY_2)
    const inKeyMode = problemsOf({
      ...keyMode,
      WEBPUBSUB_SECONDARY_ENDPOINTS: 'https://contoso-weu.webpubsub.azure.com',
    })
    expect(inKeyMode.map((p) => p.variable)).toContain('WEBPUBSUB_SECONDARY_ENDPOINTS')
    expect(JSON.stringify(inKeyMode)).not.toContain(KEY_1)
  })

  it('reads both lists as configuration variables (a change rebuilds the runtime)', () => {
    expect(CONFIG_VARIABLES).toContain('WEBPUBSUB_SECONDARY_ENDPOINTS')
    expect(CONFIG_VARIABLES).toContain('WEBPUBSUB_SECONDARY_CONNECTION_STRINGS')
  })
})
