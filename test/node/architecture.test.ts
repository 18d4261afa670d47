// The direction of dependencies: no import cycles, src/ and emulator/ apart, core free of Hono and Workers APIs.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(folder, name))
}

/** Every module specifier a file imports or re-exports, type-only ones included. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const found = text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+['"]([^'"]+)['"]/gm)
  return [...found].map((match) => match[1] ?? '')
}

/** Resolves a relative specifier to a repository path, as the bundler does for .ts sources. */
function resolveLocal(from: string, specifier: string, known: Set<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = relative(ROOT, resolve(ROOT, dirname(from), specifier)).replace(/\.js$/, '')
  return [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => known.has(candidate))
}

function graphOf(folders: string[]): Map<string, string[]> {
  const files = folders.flatMap(sourceFiles)
  const known = new Set(files)
  return new Map(
    files.map((file) => [
      file,
      specifiersOf(file)
        .map((specifier) => resolveLocal(file, specifier, known))
        .filter((target): target is string => target !== undefined),
    ]),
  )
}

/** Each cycle once, as the path that closes it (Tarjan-free DFS is enough at this size). */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string): void => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (state.get(next) === undefined) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node)
  return cycles
}

describe('architecture', () => {
  it('finds a cycle when there is one (the checker itself works)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ])
    expect(cyclesOf(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']])
  })

  it.each(['src', 'emulator', 'bench'])('has no import cycle in %s/', (folder) => {
    const graph = graphOf([folder])
    expect(graph.size).toBeGreaterThan(5)
    expect(cyclesOf(graph)).toEqual([])
  })

  it('keeps the negotiator and the emulator apart', () => {
    const crossing = (from: string, to: string) =>
      sourceFiles(from).filter((file) =>
        specifiersOf(file).some((specifier) =>
          relative(ROOT, resolve(ROOT, dirname(file), specifier)).startsWith(`${to}/`),
        ),
      )
    expect(crossing('src', 'emulator')).toEqual([])
    expect(crossing('emulator', 'src')).toEqual([])
  })

  it('keeps Hono and the Workers runtime out of the core modules', () => {
    const core = ['src/caller', 'src/entra', 'src/webpubsub', 'src/cache', 'src/lib']
    const offenders = core
      .flatMap(sourceFiles)
      .filter((file) =>
        specifiersOf(file).some(
          (s) => s === 'hono' || s.startsWith('hono/') || s.startsWith('cloudflare:'),
        ),
      )
    expect(offenders).toEqual([])
  })
})
