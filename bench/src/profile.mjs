// Where a candidate's CPU time goes: V8's sampling profiler (through node:inspector) over many runs, each sample's
// own time given to the part of the stack it was in. For the goals a benchmark misses.
import { Session } from 'node:inspector/promises'

/** The first rule that matches a frame's script URL (or, for V8's own entries, its name) names its part. */
const PARTS = [
  ['RSA-PSS / Ed25519 signing (node:crypto)', (url) => url === 'node:internal/crypto/sig'],
  ['random bytes, SHA-256 (node:crypto)', (url) => url.startsWith('node:internal/crypto/')],
  ['xstate (the machine)', (url) => url.includes('/xstate/')],
  ['zod (response validation)', (url) => url.includes('/zod/')],
  ['jose', (url) => url.includes('/jose/')],
  [
    'fetch, Response and web streams',
    (url) => /undici|webstreams|fetch|abort_controller|event_target/.test(url),
  ],
  ['@jiko-auth/core', (url) => url.includes('/core/dist/') || url.includes('/core/src/')],
  ['@jiko-auth/node', (url) => url.includes('/node/dist/') || url.includes('/node/src/')],
  ['garbage collection', (_, name) => name === '(garbage collector)'],
  ['the benchmark itself', (url) => url.includes('/bench/')],
]

/** Runs `run` `iterations` times under the profiler; answers each part's share of the busy time, largest first. */
export async function profile(run, iterations) {
  const session = new Session()
  session.connect()
  try {
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    for (let i = 0; i < iterations; i++) await run()
    const { profile: result } = await session.post('Profiler.stop')
    const nodes = new Map(result.nodes.map((node) => [node.id, node]))
    const parents = new Map()
    for (const node of result.nodes) for (const child of node.children ?? []) parents.set(child, node.id)
    /** A native frame (no script) counts for the JavaScript that called it: `sign` for its signing job. */
    const frameOf = (id) => {
      let current = id
      while (nodes.get(current).callFrame.url === '' && parents.has(current)) {
        const parent = parents.get(current)
        if (nodes.get(parent).callFrame.functionName === '(root)') break
        current = parent
      }
      return nodes.get(current).callFrame
    }
    const time = new Map()
    let busy = 0
    result.samples.forEach((id, i) => {
      const own = nodes.get(id).callFrame.functionName
      if (own === '(idle)' || own === '(program)') return
      const { url, functionName } = own === '(garbage collector)' ? nodes.get(id).callFrame : frameOf(id)
      const part =
        PARTS.find(([, matches]) => matches(url, functionName))?.[0] ?? 'other (Node internals, V8)'
      const delta = result.timeDeltas[i] ?? 0
      time.set(part, (time.get(part) ?? 0) + delta)
      busy += delta
    })
    return [...time].map(([part, t]) => ({ part, share: t / busy })).sort((a, b) => b.share - a.share)
  } finally {
    session.disconnect()
  }
}

export const describeProfile = (parts) =>
  parts
    .filter((p) => p.share >= 0.01)
    .map((p) => `${p.part} ${(100 * p.share).toFixed(0)}%`)
    .join(', ')
