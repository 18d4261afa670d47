// Process CPU time and memory from Linux /proc, read the same way for workerd and for Node children.
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat; USER_HZ is 100 on every Linux the bench targets. */
const TICKS_PER_SECOND = 100

export const procAvailable = (() => {
  try {
    readFileSync('/proc/self/stat', 'utf8')
    return true
  } catch {
    return false
  }
})()

function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const close = text.lastIndexOf(')')
    return [text.slice(0, close + 1), ...text.slice(close + 2).split(' ')]
  } catch {
    return undefined
  }
}

/** User + system CPU of the whole process (all threads), in ms; undefined without /proc. */
export function cpuMs(pid: number): number | undefined {
  const fields = statFields(pid)
  if (fields === undefined) return undefined
  // proc(5): field 14 utime and 15 stime; index 0 here is "pid (comm)", so they sit at 12 and 13.
  const ticks = Number(fields[12]) + Number(fields[13])
  return (ticks * 1000) / TICKS_PER_SECOND
}

/** Resident set size now and its peak (VmRSS, VmHWM), in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1])
    const rss = kib('VmRSS')
    const peak = kib('VmHWM')
    return Number.isFinite(rss) ? { rss: rss / 1024, peak: peak / 1024 } : undefined
  } catch {
    return undefined
  }
}

/** Pids of this process's children named `comm` (e.g. the workerd that Miniflare spawned). */
export function childPids(comm: string, parent = process.pid): number[] {
  if (!procAvailable) return []
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const fields = statFields(Number(entry))
    // fields[0] is "pid (comm)", fields[2] the parent pid.
    if (fields?.[0]?.endsWith(`(${comm})`) && Number(fields[2]) === parent) pids.push(Number(entry))
  }
  return pids
}
