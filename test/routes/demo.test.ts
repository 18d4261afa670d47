// The /demo route: served from the ASSETS binding when DEMO_PAGE is "on", a plain 404 otherwise.
import { SELF, env as workerEnv } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createHarness, problemOf } from '../support/harness'

const assets = (workerEnv as unknown as Record<string, unknown>).ASSETS

describe('routes/demo', () => {
  it('serves the page at /demo and /demo/ when DEMO_PAGE is on', async () => {
    const h = await createHarness({ demo: true, vars: { DEMO_PAGE: 'on', ASSETS: assets } })
    for (const path of ['/demo', '/demo/']) {
      const response = await h.request(path)
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      const html = await response.text()
      expect(html).toContain('<title>Web PubSub negotiator demo</title>')
      expect(html).toContain('src="/demo/app.js"')
    }
  })

  it('serves the bundled script and the stylesheet', async () => {
    const h = await createHarness({ demo: true, vars: { DEMO_PAGE: 'on', ASSETS: assets } })
    const script = await h.request('/demo/app.js')
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    // The official client is bundled in, not loaded from a CDN.
    expect(await script.text()).toContain('json.reliable.webpubsub.azure.v1')
    const style = await h.request('/demo/style.css')
    expect(style.status).toBe(200)
    expect(style.headers.get('content-type')).toMatch(/^text\/css/)
  })

  it('answers a missing demo file with a not_found problem', async () => {
    const h = await createHarness({ demo: true, vars: { DEMO_PAGE: 'on', ASSETS: assets } })
    const response = await h.request('/demo/nope.js')
    expect(response.status).toBe(404)
    expect(await problemOf(response)).toMatchObject({ code: 'not_found', status: 404 })
  })

  it.each([
    ['absent', undefined],
    ['off', 'off'],
    ['true (only "on" turns it on)', 'true'],
  ])('answers 404 like any unknown path when DEMO_PAGE is %s', async (_label, value) => {
    const h = await createHarness({ demo: true, vars: { DEMO_PAGE: value, ASSETS: assets } })
    const unknown = await problemOf(await h.request('/nothing-here'))
    for (const path of ['/demo', '/demo/', '/demo/app.js']) {
      const response = await h.request(path)
      expect(response.status, path).toBe(404)
      const problem = await problemOf(response)
      expect(problem).toMatchObject({ code: 'not_found', status: 404, detail: unknown.detail })
    }
  })

  it('answers 404 through the real entry with the wrangler.toml defaults (production)', async () => {
    // wrangler.toml has no DEMO_PAGE and runs the Worker before assets on every path.
    for (const path of ['/demo', '/demo/app.js', '/demo/index.html']) {
      const response = await SELF.fetch(`http://negotiator.test${path}`)
      expect(response.status, path).toBe(404)
      expect(await problemOf(response)).toMatchObject({ code: 'not_found' })
    }
  })

  it('has no demo routes in the production app, whatever DEMO_PAGE says', async () => {
    const h = await createHarness({ vars: { DEMO_PAGE: 'on', ASSETS: assets } })
    const unknown = await problemOf(await h.request('/nothing-here'))
    for (const path of ['/demo', '/demo/', '/demo/app.js', '/demo/config.json']) {
      const response = await h.request(path)
      expect(response.status, path).toBe(404)
      expect(await problemOf(response)).toMatchObject({ code: 'not_found', detail: unknown.detail })
    }
  })

  it('reports a missing ASSETS binding when DEMO_PAGE is on', async () => {
    const h = await createHarness({ demo: true, vars: { DEMO_PAGE: 'on', ASSETS: undefined } })
    const response = await h.request('/demo')
    expect(response.status).toBe(404)
    expect((await problemOf(response)).detail).toMatch(/ASSETS binding is missing/)
  })
})

describe('routes/demo config', () => {
  it('tells the page the auth mode and the development token endpoint, only when on', async () => {
    const { createHarness } = await import('../support/harness')
    const on = await createHarness({
      demo: true,
      vars: {
        DEMO_PAGE: 'on',
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: 'https://idp.example.com',
        AUTH_AUDIENCE: 'api',
        DEMO_TOKEN_URL: 'http://127.0.0.1:8788/oidc/dev/token',
      },
    })
    const response = await on.request('/demo/config.json')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      authMode: 'jwt',
      audience: 'api',
      devTokenUrl: 'http://127.0.0.1:8788/oidc/dev/token',
    })
    const off = await createHarness({ demo: true, vars: { DEMO_PAGE: undefined } })
    expect((await off.request('/demo/config.json')).status).toBe(404)
  })
})
