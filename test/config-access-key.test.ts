import { describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config'

const KEY = 'S3cr3tAccessKeyValue0123456789abcdefABCDEF='
const CONNECTION_STRING = `Endpoint=https://contoso.webpubsub.azure.com;AccessKey=${KEY};Version=1.0;`

const keyMode = {
  AUTH_MODE: 'anonymous',
  WEBPUBSUB_CONNECTION_STRING: CONNECTION_STRING,
  WEBPUBSUB_HUBS: 'chat',
}

const problemsOf = (env: Record<string, unknown>) => {
  const result = parseConfig(env)
  if (result.ok) throw new Error('expected problems')
  return result.problems
}

describe('config: access-key mode (WEBPUBSUB_CONNECTION_STRING)', () => {
  it('needs no AZURE_* variable and takes the endpoint from the connection string', () => {
    const result = parseConfig(keyMode)
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    expect(result.config).toMatchObject({
      signing: 'access-key',
      accessKey: KEY,
      endpoint: 'https://contoso.webpubsub.azure.com',
      hubs: ['chat'],
    })
    expect(result.config).not.toHaveProperty('tenantId')
  })

  it('refuses it next to an Entra variable, naming both, without the key', () => {
    const problems = problemsOf({
      ...keyMode,
      AZURE_CLIENT_SECRET: 'some-secret-value',
      WEBPUBSUB_ENDPOINT: 'https://contoso.webpubsub.azure.com',
    })
    const variables = problems.map((p) => p.variable)
    expect(variables).toContain('WEBPUBSUB_CONNECTION_STRING')
    expect(variables).toContain('AZURE_CLIENT_SECRET')
    expect(variables).toContain('WEBPUBSUB_ENDPOINT')
    expect(problems.find((p) => p.variable === 'WEBPUBSUB_CONNECTION_STRING')?.problem).toMatch(
      /AZURE_CLIENT_SECRET, WEBPUBSUB_ENDPOINT/,
    )
    expect(JSON.stringify(problems)).not.toContain(KEY)
    expect(JSON.stringify(problems)).not.toContain('some-secret-value')
  })

  it('refuses a malformed string by name, never echoing the key or the string', () => {
    const malformed = `Endpoint=http://contoso.webpubsub.azure.com;AccessKey=${KEY};Port=99999`
    const problems = problemsOf({ ...keyMode, WEBPUBSUB_CONNECTION_STRING: malformed })
    expect(problems).toEqual([
      { variable: 'WEBPUBSUB_CONNECTION_STRING', problem: 'has a Port that is not 1–65535' },
    ])
    expect(JSON.stringify(problems)).not.toContain(KEY)
    expect(JSON.stringify(problems)).not.toContain('contoso')
  })

  it.each([
    ['http off loopback', 'http://contoso.example', /must use https/],
    ['a path', 'https://contoso.example/api', /origin only/],
    ['credentials', 'https://user:pw@contoso.example', /credentials/],
  ])('checks the Endpoint as WEBPUBSUB_ENDPOINT: refuses %s', (_, endpoint, expected) => {
    const problems = problemsOf({
      ...keyMode,
      WEBPUBSUB_CONNECTION_STRING: `Endpoint=${endpoint};AccessKey=${KEY};Version=1.0;`,
    })
    expect(problems.map((p) => p.variable)).toContain('WEBPUBSUB_CONNECTION_STRING')
    expect(problems.map((p) => p.problem).join('\n')).toMatch(expected)
    expect(JSON.stringify(problems)).not.toContain(KEY)
    expect(JSON.stringify(problems)).not.toContain('contoso')
  })

  it('still asks for the Entra variables when neither mode is configured', () => {
    const variables = problemsOf({ AUTH_MODE: 'anonymous', WEBPUBSUB_HUBS: 'chat' }).map(
      (p) => p.variable,
    )
    expect(variables).toEqual(
      expect.arrayContaining(['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'WEBPUBSUB_ENDPOINT']),
    )
  })
})
