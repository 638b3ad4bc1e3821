import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = join(dirname(fileURLToPath(import.meta.url)), '../src')

/** Every module an entry reaches, following static imports (type-only imports erased at build are skipped). */
function reach(entry: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(entry)) return seen
  const text = readFileSync(entry, 'utf8')
  const specifiers = [...text.matchAll(/^(?:import|export)(?! type)[^'"]*from '([^']+)'/gm)].map(
    (m) => m[1] as string,
  )
  seen.set(entry, specifiers)
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) reach(resolve(dirname(entry), specifier.replace(/\.js$/, '.ts')), seen)
  }
  return seen
}

const packagesOf = (entry: string) =>
  new Set([...reach(join(src, entry)).values()].flat().filter((s) => !s.startsWith('.')))

describe('entries', () => {
  it('the browser entry (@jiko-auth/core/machine) reaches xstate only: no jose, no zod, no node:*', () => {
    expect([...packagesOf('machine.ts')]).toEqual(['xstate'])
  })

  it('the main entry reaches no node:*, DOM or React module', () => {
    expect([...packagesOf('index.ts')].sort()).toEqual(['jose', 'structured-headers', 'xstate', 'zod'])
  })
})
