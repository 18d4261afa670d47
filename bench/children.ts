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
}

export interface StartChildOptions {
  /** A .ts file runs with tsx (as the project's scripts do); a .js/.mjs file on plain Node. */
  script: string
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** Give up (and kill the child) when it has not printed its ready line by then. */
  timeoutMs?: number
}

/**
 * Spawns `node [--import tsx] script`. stdin stays a pipe that the child watches (exitWithParent), so
 * a child never outlives the benchmark even when the benchmark itself is killed with SIGKILL.
 */
export async function startChild<T>(options: StartChildOptions): Promise<Child<T>> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', options.script, ...(options.args ?? [])],
    {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
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
  try {
    const line = await firstLine(child, options.timeoutMs ?? 20_000)
    const ready = JSON.parse(line) as T
    return { process: child, pid: child.pid ?? -1, ready, stop }
  } catch (error) {
    await stop(500)
    throw new Error(`${options.script} did not start: ${(error as Error).message}\n${stderr}`, {
      cause: error,
    })
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
  process.stdin.resume()
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
