// The machine and package versions a run happened on, for reports/bench.json.
import { readFile } from 'node:fs/promises'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'
import type { BenchReport } from './types'

export function describeMachine(): BenchReport['machine'] {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
    platform: `${process.platform} ${release()}`,
    node: process.version,
  }
}

export async function packageVersions(
  root: string,
  names: string[],
): Promise<Record<string, string | undefined>> {
  const versions: Record<string, string | undefined> = {}
  for (const name of names) {
    try {
      const text = await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')
      versions[name] = (JSON.parse(text) as { version: string }).version
    } catch {
      versions[name] = undefined
    }
  }
  return versions
}
