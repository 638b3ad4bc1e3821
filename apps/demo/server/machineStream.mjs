// The server's sign-in machine, live, for one browser at a time: each step @jiko-auth/node takes is attributed to the
// browser whose request caused it and streamed to that browser's page only, over Server-Sent Events.
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'

/** The demo's own cookie: a random name for this browser, nothing else. Never the session cookie, never a token. */
const BROWSER_COOKIE = 'jiko-demo-browser'
const BROWSER_ID = /^[\w-]{24}$/
/** Per browser, the last messages kept for a page that (re)connects: about a dozen steps. */
const BUFFER_SIZE = 60
/** Browsers remembered at once; the oldest one with no page open goes first. */
const MAX_BROWSERS = 500
const HEARTBEAT_MS = 20_000

/** This browser's id from its demo cookie, or a new one with the `Set-Cookie` that gives it. */
export function browserOf(req) {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = pair.trim().split('=')
    if (name === BROWSER_COOKIE && BROWSER_ID.test(value ?? '')) return { id: value, setCookie: undefined }
  }
  const id = randomBytes(18).toString('base64url')
  return { id, setCookie: `${BROWSER_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax` }
}

/**
 * Where the server's inspection events go. `run(browserId, fn)` runs a request's handling in that browser's async
 * context; `inspect` (passed to `createJikoAuth`) reads it there and publishes to that browser only. An event outside
 * any request's context (none today) is dropped, never broadcast.
 */
export function createMachineStream() {
  const context = new AsyncLocalStorage()
  /** browserId → { seq, messages (the ring buffer), pages (open responses) } */
  const browsers = new Map()
  // A new process starts a new sequence: a page reconnecting with an id from before a restart gets the whole buffer.
  const boot = randomBytes(4).toString('hex')

  function browser(id) {
    let entry = browsers.get(id)
    if (entry) {
      // Most recently used last, so the first idle entry is the oldest.
      browsers.delete(id)
      browsers.set(id, entry)
      return entry
    }
    if (browsers.size >= MAX_BROWSERS) {
      for (const [key, old] of browsers) {
        if (old.pages.size === 0) {
          browsers.delete(key)
          break
        }
      }
    }
    entry = { seq: 0, messages: [], pages: new Set() }
    browsers.set(id, entry)
    return entry
  }

  const frame = ({ id, event, data }) => `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`

  /** Keeps the message in the browser's ring buffer and sends it to that browser's open pages. */
  function publish(browserId, event, body) {
    const entry = browser(browserId)
    entry.seq += 1
    const id = `${boot}-${entry.seq}`
    // The id in the data too: a page tells a replayed message from a new one by it.
    const message = { id, event, data: JSON.stringify({ id, at: Date.now(), ...body }) }
    entry.messages.push(message)
    if (entry.messages.length > BUFFER_SIZE) entry.messages.shift()
    for (const res of entry.pages) res.write(frame(message))
  }

  const heartbeat = setInterval(() => {
    for (const entry of browsers.values()) for (const res of entry.pages) res.write(': keep-alive\n\n')
  }, HEARTBEAT_MS)
  heartbeat.unref()

  return {
    /** Runs `fn` (a request's handling) as `browserId`'s. */
    run: (browserId, fn) => context.run(browserId, fn),

    /** `createJikoAuth({ inspect })`: the events arrive redacted by @jiko-auth/node (`inspectUnredacted` is off). */
    inspect(event) {
      const browserId = context.getStore()
      if (browserId) publish(browserId, 'inspection', { event })
    },

    /** A change of the server's record that is no step of the machine (a sign-out deletes the session). */
    session(browserId, state, why) {
      publish(browserId, 'session', { state, why })
    },

    /**
     * Answers `GET /api/demo/server-machine` as a stream: what the server held for this browser when it connected
     * (`stored`), then the buffered messages the page has not seen (after `Last-Event-ID`), then each new one.
     */
    connect(req, res, browserId, stored) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      })
      const entry = browser(browserId)
      res.write('retry: 2000\n\n')
      res.write(
        frame({
          event: 'session',
          data: JSON.stringify({ at: Date.now(), state: stored, why: 'connected' }),
        }),
      )
      const last = String(req.headers['last-event-id'] ?? '')
      const [lastBoot, lastSeq] = last.split('-')
      for (const message of entry.messages) {
        const seq = Number(message.id.split('-')[1])
        if (lastBoot !== boot || !(seq <= Number(lastSeq))) res.write(frame(message))
      }
      entry.pages.add(res)
      res.on('close', () => entry.pages.delete(res))
    },

    /**
     * Ends every stream, so that the server closes at once. The pages are asked to wait 10 s before they reconnect:
     * a restart is back by then, and a page does not knock on a closed port meanwhile.
     */
    close() {
      clearInterval(heartbeat)
      for (const entry of browsers.values()) {
        for (const res of entry.pages) res.end('retry: 10000\n\n')
        entry.pages.clear()
      }
    },
  }
}
