// Child processes of the benchmark: start one that prints a JSON "ready" line, stop it for sure.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'

export interface Child<T> {
  process: ChildProcess
  pid: number
  /** The child's first stdout line, parsed. */
  ready: T
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>
  /** With `ipc`: sends a message and resolves with the child's reply (see answerParent). */
  ask<R>(message: object): Promise<R>
}

export interface StartChildOptions {
  /** A .ts file runs with tsx (as the project's scripts do); a .js/.mjs file on plain Node. */
  script: string
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** Give up (and kill the child) when it has not printed its ready line by then. */
  timeoutMs?: number
  /** Open Node's IPC channel, for ask(). */
  ipc?: boolean
  /** Aborting it while the child starts stops the child (it is not yet anyone's to stop). */
  signal?: AbortSignal
}

/**
 * Spawns `node [--import tsx] script`. stdin stays a pipe that the child watches (exitWithParent), so
 * a child never outlives the benchmark even when the benchmark itself is killed with SIGKILL.
 */
export async function startChild<T>(options: StartChildOptions): Promise<Child<T>> {
  const loader = options.script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...loader, options.script, ...(options.args ?? [])], {
    env: options.env ?? process.env,
    stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    // Keep only the tail: enough to explain a failed start, bounded for a long run.
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const exited = once(child, 'exit')
  const stop = async (graceMs = 2000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.stdin?.end()
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
  let nextId = 0
  const ask = <R>(message: object): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const id = (nextId += 1)
      const onMessage = (reply: { id?: number; answer?: R }) => {
        if (reply.id !== id) return
        clearTimeout(timer)
        child.off('message', onMessage)
        resolve(reply.answer as R)
      }
      const timer = setTimeout(() => {
        child.off('message', onMessage)
        reject(new Error(`${options.script} did not answer ${JSON.stringify(message)}`))
      }, 5000)
      child.on('message', onMessage)
      child.send({ ...message, id })
    })
  const onAbort = () => void stop(500)
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const line = await firstLine(child, options.timeoutMs ?? 20_000)
    const ready = JSON.parse(line) as T
    return { process: child, pid: child.pid ?? -1, ready, stop, ask }
  } catch (error) {
    await stop(500)
    throw new Error(`${options.script} did not start: ${(error as Error).message}\n${stderr}`, {
      cause: error,
    })
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(
      () => reject(new Error(`no ready line within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString()
      const newline = buffered.indexOf('\n')
      if (newline === -1) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      // Later output is not needed, but must be read so the child never blocks on a full pipe.
      child.stdout?.resume()
      resolve(buffered.slice(0, newline))
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`exited (${signal ?? code}) before it was ready`))
    })
  })
}

/** Child side of ask(): answers each message from the parent with `answer(message)`. */
export function answerParent(answer: (message: Record<string, unknown>) => unknown): void {
  process.on('message', (message: Record<string, unknown>) => {
    process.send?.({ id: message.id, answer: answer(message) })
  })
}

/** Child side: exit when the parent closes stdin (or dies), and on SIGTERM/SIGINT. */
export function exitWithParent(close: () => Promise<void>): void {
  let closing = false
  const stop = () => {
    if (closing) return
    closing = true
    // A close that hangs must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref()
    close().finally(() => process.exit(0))
  }
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.on('disconnect', stop)
  process.stdin.resume()
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
