// End to end in a real browser: the demo page in Chromium (two users chatting, a phone-sized viewport, a service-side close, a lost connection, refusals) through the negotiator (workerd) and the emulator.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretToken } from '../emulator/helpers'
import { startE2eStack, type E2eStack } from '../support/e2e-stack'
import type { RunningNegotiator } from '../support/negotiator-process'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = join(import.meta.dirname, '..', '..')
const SCREENSHOT = join(ROOT, 'reports', 'demo-chat.png')
const PHONE_SCREENSHOT = join(ROOT, 'reports', 'demo-phone.png')
/** A small phone (iPhone SE, 375 × 667 CSS pixels), touch and meta viewport honoured. */
const PHONE: BrowserContextOptions = {
  viewport: { width: 375, height: 667 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}
/** Smallest usable sizes at phone width, in CSS pixels. */
const MIN_INPUT_WIDTH = 120
const MIN_TAP_HEIGHT = 32
const POLICY = {
  hubs: {
    chat: {
      roles: ['webpubsub.joinLeaveGroups.room.*', 'webpubsub.sendToGroups.room.*'],
      groups: ['user.{sub}'],
    },
    // Rooms to join and listen in, no right to send.
    quiet: { roles: ['webpubsub.joinLeaveGroups.room.*'], groups: [] },
  },
}

let stack: E2eStack | undefined
let negotiator: RunningNegotiator
let browser: Browser
/** Console errors and uncaught exceptions from every page: a broken bundle fails the test. */
const pageErrors: string[] = []
/** The emulator's upgraded sockets by the user id in their access token, to cut one user off. */
const socketsByUser = new Map<string, Set<Duplex>>()
/** Users whose WebSocket upgrades the emulator drops unanswered, as if it were unreachable. */
const unreachableFor = new Set<string>()

/** The `sub` of the client access token in an upgrade request's query, if any. */
function userOf(requestUrl: string | undefined): string | undefined {
  const token = new URL(requestUrl ?? '/', 'http://x').searchParams.get('access_token')
  const payload = token?.split('.')[1]
  if (payload === undefined) return undefined
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }
  return typeof claims.sub === 'string' ? claims.sub : undefined
}

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
        WEBPUBSUB_HUBS: 'chat,quiet',
        POLICY,
        DEMO_PAGE: 'on',
      }),
      assetsDirectory: join(ROOT, 'public'),
    })
    negotiator = stack.negotiator
    // Ahead of the emulator's own 'upgrade' listener: record each socket, or drop it unanswered
    // (the emulator then finds it destroyed and leaves it alone).
    stack.emulator.server.prependListener('upgrade', (request, socket: Duplex) => {
      const user = userOf(request.url)
      if (user === undefined) return
      if (unreachableFor.has(user)) {
        socket.destroy()
        return
      }
      const sockets = socketsByUser.get(user) ?? new Set()
      sockets.add(socket)
      socketsByUser.set(user, sockets)
      socket.once('close', () => sockets.delete(socket))
    })
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
async function loadDemo(
  options: BrowserContextOptions = { viewport: { width: 1000, height: 640 } },
): Promise<Page> {
  const context = await browser.newContext(options)
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${negotiator.url}/demo`)
  await page.locator('#signin').waitFor({ state: 'visible', timeout: 5000 })
  return page
}

/** Signs in as `user` and waits for the connection. */
async function signIn(page: Page, user: string): Promise<void> {
  await page.fill('#username', user)
  await page.click('#signin')
  await expect
    .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 10_000 })
    .toBe('connected')
}

/** The demo page at laptop size, signed in as `user`. */
async function openDemo(user: string): Promise<Page> {
  const page = await loadDemo()
  await signIn(page, user)
  return page
}

/**
 * What overflows the phone's screen sideways. Measured against the screen width the context was
 * given, not against innerWidth alone: a mobile browser zooms a page that is too wide out until it
 * fits, and then innerWidth grows with the page.
 */
async function horizontalOverflow(page: Page) {
  const screenWidth = page.viewportSize()?.width ?? 0
  return page.evaluate((screenWidth) => {
    const sticking: string[] = []
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      const box = element.getBoundingClientRect()
      if (box.width === 0 && box.height === 0) continue
      // Half a pixel of slack for subpixel layout.
      if (box.left < -0.5 || box.right > screenWidth + 0.5) {
        const name = element.id ? `#${element.id}` : element.tagName.toLowerCase()
        sticking.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`)
      }
    }
    return {
      screenWidth,
      innerWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      sticking,
    }
  }, screenWidth)
}

/** Fails (softly, so that every problem shows) when the page is wider than the screen. */
function expectFits(overflow: Awaited<ReturnType<typeof horizontalOverflow>>): void {
  const { screenWidth, innerWidth, scrollWidth, sticking } = overflow
  expect.soft(innerWidth, 'innerWidth (zoomed out?)').toBe(screenWidth)
  expect.soft(scrollWidth, 'no horizontal scroll').toBeLessThanOrEqual(innerWidth)
  expect.soft(sticking, 'elements beyond the right edge').toEqual([])
}

/** Width and height of a visible element, in CSS pixels. */
async function sizeOf(page: Page, selector: string): Promise<{ width: number; height: number }> {
  const locator = page.locator(selector)
  expect(await locator.isVisible(), `${selector} is visible`).toBe(true)
  const box = await locator.boundingBox()
  if (box === null) throw new Error(`${selector} has no box`)
  return { width: Math.round(box.width), height: Math.round(box.height) }
}

/** Fails with every control that is too narrow to type in or too low to tap. */
async function expectUsable(page: Page, inputs: string[], buttons: string[]): Promise<void> {
  const problems: string[] = []
  for (const selector of inputs) {
    const { width, height } = await sizeOf(page, selector)
    if (width < MIN_INPUT_WIDTH) problems.push(`${selector} is ${width} px wide`)
    if (height < MIN_TAP_HEIGHT) problems.push(`${selector} is ${height} px high`)
  }
  for (const selector of buttons) {
    const { height } = await sizeOf(page, selector)
    if (height < MIN_TAP_HEIGHT) problems.push(`${selector} is ${height} px high`)
  }
  // Soft: a broken layout reports every problem of the page, not the first one only.
  expect.soft(problems).toEqual([])
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

  it('fits a 375 px phone screen and chats there', async () => {
    const page = await loadDemo(PHONE)
    // Before sign-in: the sign-in row is what the user sees first.
    expectFits(await horizontalOverflow(page))
    await expectUsable(page, ['#username'], ['#signin'])

    await page.fill('#username', 'phoebe')
    await page.tap('#signin', { timeout: 5000 })
    await expect
      .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 10_000 })
      .toBe('connected')
    await expect.poll(() => page.textContent('#current-room'), { timeout: 5000 }).toBe('room.lobby')
    // Roles and the expiry are filled in now: the longest texts the page shows.
    expect(await page.textContent('#roles')).toContain('webpubsub.joinLeaveGroups.room.*')
    expectFits(await horizontalOverflow(page))
    await expectUsable(page, ['#room', '#message'], ['#join', '#send'])

    await page.fill('#message', 'Hello from a phone')
    await page.tap('#send', { timeout: 5000 })
    await page
      .locator('#messages li.mine', { hasText: 'Hello from a phone' })
      .waitFor({ timeout: 5000 })
    expectFits(await horizontalOverflow(page))

    await mkdir(join(ROOT, 'reports'), { recursive: true })
    await page.screenshot({ path: PHONE_SCREENSHOT, fullPage: true })
    await page.context().close()
    expect(pageErrors).toEqual([])
  })

  it("shows the service's reason when the connection ends, never [object Object]", async () => {
    const page = await openDemo('dora')
    // The status is back to "Connected" within moments: record every text it shows.
    await page.evaluate(() => {
      const status = document.getElementById('status')!
      const seen: string[] = []
      Object.assign(window, { statusTexts: seen })
      new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      })
    })
    // The REST API is Entra-authorized like :generateToken: sign in as the Owner app.
    const close = await fetch(
      `${stack!.emulator.url}/api/hubs/chat/users/dora/:closeConnections?api-version=2024-12-01&reason=kicked`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${await secretToken(stack!.emulator)}` },
      },
    )
    expect(close.status).toBe(204)
    const statusTexts = () =>
      page.evaluate(() => (window as unknown as { statusTexts: string[] }).statusTexts.join('\n'))
    // The client first tries to resume the reliable connection; the service refuses (its own
    // `disconnected` message, then close 1008) and the client reports that last message's reason
    // with its `disconnected` event, before it negotiates again and starts a new connection.
    await expect
      .poll(statusTexts, { timeout: 10_000 })
      .toContain('Disconnected: The connection cannot be recovered.; reconnecting…')
    await expect
      .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 10_000 })
      .toBe('connected')
    expect(await statusTexts()).not.toContain('[object Object]')
    // The new connection reuses the grant, which is fresh until its refreshAfter: no negotiation.
    expect(await page.textContent('#negotiations')).toBe('1')
    await page.context().close()
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

  it('shows at once that the connection is gone, and Connected again when it resumes', async () => {
    const page = await openDemo('ivan')
    await expect.poll(() => page.textContent('#current-room'), { timeout: 5000 }).toBe('room.lobby')
    expect(await page.isEnabled('#send')).toBe(true)

    // The service becomes unreachable: its sockets close and every new attempt fails, so the
    // client keeps trying to resume (for up to 30 s) without an event of its own.
    unreachableFor.add('ivan')
    for (const socket of socketsByUser.get('ivan') ?? []) socket.destroy()
    await expect
      .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 3000 })
      .toBe('reconnecting')
    expect(await page.textContent('#status')).toBe('Connection lost; reconnecting…')
    expect(await page.isDisabled('#send')).toBe(true)

    // Reachable again within the resume window: the same connection continues.
    unreachableFor.delete('ivan')
    await expect
      .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 10_000 })
      .toBe('connected')
    expect(await page.textContent('#status')).toBe('Connected as ivan (resumed)')
    expect(await page.textContent('#negotiations')).toBe('1')
    await page.fill('#message', 'still here')
    await page.click('#send')
    await page.locator('#messages li.mine', { hasText: 'still here' }).waitFor({ timeout: 5000 })
    await page.context().close()
    // Chromium logs each attempt the emulator dropped: those are this test's doing, nothing else.
    const dropped = pageErrors.filter((text) => /^WebSocket connection to '.*' failed: /.test(text))
    expect(dropped.length).toBeGreaterThan(0)
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((text) => !dropped.includes(text)))
    expect(pageErrors).toEqual([])
  })

  it('counts a failed negotiation, shows the problem, and connects once the hub is corrected', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${negotiator.url}/demo?hub=nowhere`)
    await page.fill('#username', 'gina')
    await page.click('#signin')
    const error = page.locator('#error')
    await error.waitFor({ state: 'visible', timeout: 5000 })
    expect(await page.textContent('#negotiations')).toBe('1')
    expect(await error.textContent()).toBe(
      'Negotiation failed (400 hub_not_allowed): Hub "nowhere" is not served here. ' +
        'This negotiator serves: chat, quiet.',
    )
    expect(await page.getAttribute('#status', 'data-state')).toBe('failed')

    // Not stuck: the same hub can be tried again (and is counted again)…
    await page.locator('#connect').waitFor({ state: 'visible', timeout: 5000 })
    expect(await page.inputValue('#hub-input')).toBe('nowhere')
    await page.click('#connect')
    await expect.poll(() => page.textContent('#negotiations'), { timeout: 5000 }).toBe('2')
    await page.locator('#connect').waitFor({ state: 'visible', timeout: 5000 })

    // …or corrected.
    await page.fill('#hub-input', 'chat')
    await page.click('#connect')
    await expect
      .poll(() => page.getAttribute('#status', 'data-state'), { timeout: 10_000 })
      .toBe('connected')
    expect(await page.textContent('#negotiations')).toBe('3')
    expect(await page.textContent('#hub')).toBe('chat')
    expect(await error.isHidden()).toBe(true)
    expect(await page.isHidden('#connect-form')).toBe(true)
    expect(new URL(page.url()).searchParams.get('hub')).toBe('chat')
    await context.close()
  })

  it('disables Send, saying why, where the roles grant no send right', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${negotiator.url}/demo?hub=quiet`)
    await signIn(page, 'hank')
    // The quiet hub lets it join rooms, so it listens in room.lobby…
    await expect.poll(() => page.textContent('#current-room'), { timeout: 5000 }).toBe('room.lobby')
    expect(await page.textContent('#roles')).toBe('webpubsub.joinLeaveGroups.room.*')
    // …but sending there would be refused.
    expect(await page.isDisabled('#send')).toBe(true)
    expect(await page.textContent('#send-note')).toMatch(
      /^Your roles grant no send right in room\.lobby/,
    )
    expect(await page.isVisible('#send-note')).toBe(true)
    await page.press('#message', 'Enter')
    expect(await page.locator('#messages li.message').count()).toBe(0)
    await context.close()
    expect(pageErrors).toEqual([])
  })

  it('breaks role names only after a dot at 375 px, and stamps each message with its time', async () => {
    const page = await loadDemo(PHONE)
    await signIn(page, 'a-rather-long-user-name-for-a-phone')
    await expect.poll(() => page.textContent('#current-room'), { timeout: 5000 }).toBe('room.lobby')
    // Each dot-separated part is its own text node: one that spans two line boxes broke mid-word.
    const parts = await page.evaluate(() => {
      const found: { text: string; lines: number }[] = []
      const walker = document.createTreeWalker(
        document.getElementById('roles')!,
        NodeFilter.SHOW_TEXT,
      )
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        const range = document.createRange()
        range.selectNodeContents(node)
        const tops = new Set(Array.from(range.getClientRects()).map((rect) => Math.round(rect.top)))
        found.push({ text: node.textContent ?? '', lines: tops.size })
      }
      return found
    })
    expect(parts.map((part) => part.text).join('')).toBe(
      'webpubsub.joinLeaveGroups.room.*webpubsub.sendToGroups.room.*',
    )
    expect(parts.filter((part) => part.lines !== 1)).toEqual([])
    expect(await page.locator('#roles .name').count()).toBe(2)

    await page.fill('#message', 'what time is it')
    await page.tap('#send', { timeout: 5000 })
    const line = page.locator('#messages li.mine', { hasText: 'what time is it' })
    await line.waitFor({ timeout: 5000 })
    const stamp = await line.locator('time').getAttribute('datetime')
    expect(Math.abs(Date.parse(stamp ?? '') - Date.now())).toBeLessThan(60_000)
    expect(await line.locator('time').textContent()).toMatch(/^\d{1,2}:\d{2}:\d{2}/)
    expectFits(await horizontalOverflow(page))
    await page.context().close()
    expect(pageErrors).toEqual([])
  })
})
