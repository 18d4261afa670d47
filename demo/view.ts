// The demo page's elements and how it writes into them; app.ts decides what to show when.
import { SendMessageError } from '@azure/web-pubsub-client'
import { NegotiationFailedError } from '../client/index'
import type { ConnectionState } from './status'

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`#${id} is missing from the page`)
  return found as T
}

export const ui = {
  status: element('status'),
  error: element('error'),
  hub: element('hub'),
  user: element('user'),
  roles: element('roles'),
  groups: element('groups'),
  expires: element('expires'),
  negotiations: element('negotiations'),
  connectForm: element<HTMLFormElement>('connect-form'),
  hubInput: element<HTMLInputElement>('hub-input'),
  connectNote: element('connect-note'),
  roomForm: element<HTMLFormElement>('room-form'),
  room: element<HTMLInputElement>('room'),
  join: element<HTMLButtonElement>('join'),
  currentRoom: element('current-room'),
  messages: element<HTMLOListElement>('messages'),
  messageForm: element<HTMLFormElement>('message-form'),
  message: element<HTMLInputElement>('message'),
  send: element<HTMLButtonElement>('send'),
  sendNote: element('send-note'),
  signInForm: element<HTMLFormElement>('signin-form'),
  username: element<HTMLInputElement>('username'),
}

export function setStatus(state: ConnectionState, text: string): void {
  ui.status.dataset.state = state
  ui.status.textContent = text
}

export function showError(text: string | undefined): void {
  ui.error.hidden = text === undefined
  ui.error.textContent = text ?? ''
}

/** One line per error, saying what the negotiator or the service said. */
export function describe(error: unknown): string {
  if (error instanceof NegotiationFailedError) {
    const status = error.status === undefined ? error.code : `${error.status} ${error.code}`
    let text = `Negotiation failed (${status}): ${error.detail}`
    const hubs = error.problem?.allowedHubs
    if (Array.isArray(hubs)) text += ` This negotiator serves: ${hubs.join(', ')}.`
    if (error.retryAfterSeconds !== undefined) text += ` Retry in ${error.retryAfterSeconds} s.`
    return text
  }
  if (error instanceof SendMessageError && error.errorDetail !== undefined) {
    return `${error.errorDetail.name}: ${error.errorDetail.message}`
  }
  return error instanceof Error ? error.message : String(error)
}

/**
 * Role and group names, one a line, each free to break after a dot (and nowhere else unless a
 * single part is wider than the panel): `webpubsub.<wbr>joinLeaveGroups.<wbr>room.<wbr>*`.
 */
export function showNames(target: HTMLElement, names: readonly string[]): void {
  if (names.length === 0) {
    target.textContent = 'none'
    return
  }
  target.replaceChildren(
    ...names.map((name) => {
      const line = document.createElement('span')
      line.className = 'name'
      const parts = name.split('.')
      parts.forEach((part, index) => {
        line.append(index < parts.length - 1 ? `${part}.` : part)
        if (index < parts.length - 1) line.append(document.createElement('wbr'))
      })
      return line
    }),
  )
}

/** A chat line with its time; `mine` marks the user's own messages. */
export function addLine(kind: 'message' | 'system', text: string, from?: string, mine = false) {
  const item = document.createElement('li')
  item.className = kind
  const now = new Date()
  const time = document.createElement('time')
  time.className = 'at'
  time.dateTime = now.toISOString()
  time.textContent = now.toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  item.append(time)
  if (from !== undefined) {
    const label = document.createElement('span')
    label.className = 'from'
    // A UUID is long; its first block is enough to tell two anonymous tabs apart.
    const short = /^[0-9a-f-]{36}$/.test(from) ? from.slice(0, 8) : from
    label.textContent = mine ? `${short} (you)` : short
    label.title = from
    item.append(label)
    if (mine) item.classList.add('mine')
  }
  // textContent, never innerHTML: messages come from other users.
  item.append(document.createTextNode(text))
  ui.messages.append(item)
  ui.messages.scrollTop = ui.messages.scrollHeight
}
