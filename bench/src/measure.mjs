// Interleaved measurement on a small, noisy machine: every round runs each candidate once (rotating the order),
// after a warm-up; a batch is long enough to dwarf timer resolution; the figure is the median over the rounds.
// `clock: 'cpu'` counts the process's CPU time (user + system, every thread: WebCrypto's pool included) instead of
// wall time, which another tenant of a shared machine can stretch many times over.
export async function compare(
  all,
  { rounds = 12, warmupRounds = 2, batchMs = 150, clock = 'wall', only } = {},
) {
  const read = clock === 'cpu' ? cpuNs : wallNs
  // `only` (a name) runs one candidate alone: for a profile of it.
  const candidates = only ? all.filter((c) => c.name === only) : all
  const sizes = new Map()
  for (const candidate of candidates) {
    // Calibrate: how many operations make a batch of about batchMs.
    let n = 1
    for (;;) {
      const started = performance.now()
      for (let i = 0; i < n; i++) await candidate.run()
      const elapsed = performance.now() - started
      if (elapsed >= batchMs / 4 || n >= 1 << 20) {
        sizes.set(candidate.name, Math.max(1, Math.round((n * batchMs) / Math.max(elapsed, 0.01))))
        break
      }
      n *= 4
    }
  }
  const samples = new Map(candidates.map((c) => [c.name, []]))
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const order = candidates.map((_, i) => candidates[(i + round) % candidates.length])
    for (const candidate of order) {
      const n = sizes.get(candidate.name)
      const started = read()
      for (let i = 0; i < n; i++) await candidate.run()
      const nsPerOp = (read() - started) / n
      if (round >= warmupRounds) samples.get(candidate.name).push(nsPerOp)
    }
  }
  return Object.fromEntries([...samples].map(([name, values]) => [name, median(values)]))
}

const wallNs = () => Number(process.hrtime.bigint())

/** The process's CPU time so far, in nanoseconds (microsecond resolution). */
export function cpuNs() {
  const { user, system } = process.cpuUsage()
  return (user + system) * 1000
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

export const us = (ns) => `${(ns / 1000).toFixed(1)} µs`
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`
