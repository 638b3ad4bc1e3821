import { readFileSync, renameSync, writeFileSync } from 'node:fs'

interface Entry {
  value: unknown
  /** Milliseconds since the epoch; Infinity for no expiry. */
  expiresAt: number
}

/**
 * A Map with TTL expiry and no eviction: an entry leaves only when it expires or is deleted. Optionally written
 * to a JSON file after each change and read back at start, so the emulator survives a restart.
 */
export class TtlStore {
  readonly #entries = new Map<string, Entry>()
  readonly #file: string | undefined
  readonly #now: () => number

  constructor(options: { file?: string; now?: () => number } = {}) {
    this.#file = options.file
    this.#now = options.now ?? Date.now
    if (this.#file) this.#load(this.#file)
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: string): unknown {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: unknown, ttlSeconds?: number): void {
    const expiresAt = ttlSeconds === undefined ? Number.POSITIVE_INFINITY : this.#now() + ttlSeconds * 1000
    this.#entries.set(key, { value, expiresAt })
    this.#save()
  }

  delete(key: string): void {
    if (this.#entries.delete(key)) this.#save()
  }

  /** Every live entry whose key starts with `prefix`. */
  *entries(prefix: string): Generator<[string, unknown]> {
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix) && entry.expiresAt > this.#now()) yield [key, entry.value]
    }
  }

  /** Marks an entry changed in place (e.g. consumed), so it is persisted. */
  touch(): void {
    this.#save()
  }

  #load(file: string): void {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return
    }
    const rows = JSON.parse(text) as [string, unknown, number | null][]
    for (const [key, value, expiresAt] of rows) {
      this.#entries.set(key, { value, expiresAt: expiresAt ?? Number.POSITIVE_INFINITY })
    }
  }

  #save(): void {
    if (!this.#file) return
    const rows = [...this.#entries].map(([key, e]) => [
      key,
      e.value,
      Number.isFinite(e.expiresAt) ? e.expiresAt : null,
    ])
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(rows))
    renameSync(`${this.#file}.tmp`, this.#file)
  }
}
