// End to end in a real browser: two Chromium contexts chat through the demo page, the negotiator (workerd) and the emulator.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import type { RunningNegotiator } from '../support/negotiator-process'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = join(import.meta.dirname, '..', '..')
const SCREENSHOT = join(ROOT, 'reports', 'demo-chat.png')
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'],
      groups: ['user.{sub}'],
    },
  },
}

let stack: E2eStack | undefined
let negotiator: RunningNegotiator
let browser: Browser
/** Console errors and uncaught exceptions from every page: a broken bundle fails the test. */
const pageErrors: string[] = []

/**
 * Debian's chromium is a system package: CI installs it (.ci/run) and must run this suite; on a
 * developer machine without it the suite is skipped with a note instead of failing `npm test`.
 */
const RUN = existsSync(CHROMIUM) || process.env.CI === 'true'
if (!RUN)
  console.warn(`skipping the browser test: ${CHROMIUM} is missing (apt-get install chromium)`)

beforeAll(async () => {
  if (!RUN) return
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)`)
  }
  // Build the page now so the test never serves a stale bundle (npm test's pretest does too).
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-demo.mjs')], {
    cwd: ROOT,
  })
  // Chromium starts while the emulator and the negotiator do: each takes a second or more.
  const launching = chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  try {
    stack = await startE2eStack({
      vars: (started) => ({
        // jwt mode, as `npm start` runs it: each page signs in through the emulator's OIDC issuer.
        AUTH_MODE: 'jwt',
        AUTH_ISSUER: started.demo.oidcIssuer,
        AUTH_AUDIENCE: 'webpubsub-negotiator',
        DEMO_TOKEN_URL: `${started.demo.oidcIssuer}/dev/token`,
        POLICY,
        DEMO_PAGE: 'on',
      }),
      assetsDirectory: join(ROOT, 'public'),
    })
    negotiator = stack.negotiator
  } finally {
    // Assigned even when a server failed to start, so that afterAll closes it.
    browser = await launching
  }
})

afterAll(async () => {
  await browser?.close()
  await stack?.close()
})

/** A fresh browser context (its own storage, as a second user would have) on the demo page. */
async function openDemo(user: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 } })
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${negotiator.url}/demo`)
  await page.fill('#username', user)
  await page.click('#signin')
  await expect
    .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 10_000 })
    .toBe('connected')
  return page
}

async function joinRoom(page: Page, name: string): Promise<void> {
  await page.fill('#room', name)
  await page.click('#join')
  await expect.poll(() => page.textContent('#current-room'), { timeout: 5000 }).toBe(`room.${name}`)
}

describe.skipIf(!RUN)('e2e: the demo page in Chromium', () => {
  it('lets two browser contexts chat in one room', async () => {
    const [alice, bob] = await Promise.all([openDemo('alice'), openDemo('bob')])
    // The page joined the default room on its own, showing what the negotiator handed out.
    expect(await alice.textContent('#current-room')).toBe('room.lobby')
    const aliceId = (await alice.textContent('#user')) ?? ''
    const bobId = (await bob.textContent('#user')) ?? ''
    // The user id comes from the verified token, and the policy's groups follow it.
    expect(aliceId).toBe('alice')
    expect(bobId).toBe('bob')
    expect(await bob.textContent('#groups')).toBe('user.bob')
    expect(await alice.textContent('#roles')).toContain('webpubsub.joinLeaveGroups.room.*')
    expect(await alice.textContent('#expires')).toMatch(/\(in \d+:\d{2}\)/)

    await joinRoom(alice, 'e2e')
    await joinRoom(bob, 'e2e')

    await alice.fill('#message', 'Hello from Alice')
    await alice.click('#send')
    const received = bob.locator('#messages li.message', { hasText: 'Hello from Alice' })
    await received.waitFor({ timeout: 5000 })
    // The sender is shown by the first block of its user id.
    expect(await received.locator('.from').textContent()).toBe('alice')

    await bob.fill('#message', 'Hi Alice, Bob here')
    await bob.press('#message', 'Enter')
    await alice
      .locator('#messages li.message', { hasText: 'Hi Alice, Bob here' })
      .waitFor({ timeout: 5000 })
    // noEcho is off: Alice sees her own message too, marked as hers.
    expect(await alice.locator('#messages li.mine').count()).toBe(1)

    await mkdir(join(ROOT, 'reports'), { recursive: true })
    await bob.screenshot({ path: SCREENSHOT })
    expect(pageErrors).toEqual([])
  })

  it('shows the problem detail when negotiation fails', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    // `lobby` is not in WEBPUBSUB_HUBS: the negotiator answers 400 hub_not_allowed.
    await page.goto(`${negotiator.url}/demo?hub=lobby`)
    await page.fill('#username', 'erin')
    await page.click('#signin')
    const error = page.locator('#error')
    await error.waitFor({ state: 'visible', timeout: 5000 })
    expect(await error.textContent()).toMatch(/400 hub_not_allowed.*Hub "lobby" is not served here/)
    expect(await page.getAttribute('#status', 'data-state')).toBe('failed')
    await context.close()
  })
})
