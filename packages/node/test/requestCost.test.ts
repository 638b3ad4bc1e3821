// What an unauthenticated request may cost: a body read at most 16 KB (413 past it, in the handler and through the
// node:http and Express adapters), and a login transaction that stays small whatever returnTo is sent.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { Readable } from 'node:stream'
import type { AuthStore } from '@jiko-auth/core'
import { memoryStorage } from '@jiko-auth/storage-memory'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { createJikoAuth, expressMiddleware, type JikoAuth, toNodeHandler } from '../src/index.js'
import { MAX_BODY_BYTES } from '../src/readLimitedBody.js'
import { bodyOf, httpsOptions } from './harness.js'

const APP = 'https://app.example'

/** A store that remembers the size of every value written, by key prefix. */
function measuringStore() {
  const inner = memoryStorage()
  const written: { key: string; bytes: number }[] = []
  const store: AuthStore = {
    ...inner,
    set(key, value, ttl) {
      written.push({ key, bytes: Buffer.byteLength(value) })
      return inner.set(key, value, ttl)
    },
  }
  return { store, written }
}

/** A body of `total` bytes made on demand, counting what was pulled from it. */
function endlessBody(total: number, chunk = 1024) {
  const counter = { pulled: 0 }
  let sent = 0
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= total) return controller.close()
        sent += chunk
        counter.pulled += chunk
        controller.enqueue(new Uint8Array(chunk).fill(0x61))
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, counter }
}

const postCallback = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  new Request(`${APP}/auth/callback`, {
    method: 'POST',
    headers: { origin: APP, 'content-type': 'application/json', ...headers },
    body,
    duplex: 'half',
  } as RequestInit)

describe('the callback body is read at most 16 KB', () => {
  it('answers 413 JIKO_REQUEST_TOO_LARGE for a streamed 200 MB body, having pulled no more than 17 KB of it', async () => {
    const auth = createJikoAuth(await httpsOptions())
    const { stream, counter } = endlessBody(200 * 1024 * 1024)
    const response = await auth.handler(postCallback(stream))
    expect(response.status).toBe(413)
    expect((await bodyOf(response)).error.code).toBe('JIKO_REQUEST_TOO_LARGE')
    expect(counter.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 1024)
  })

  it('answers 413 at once when Content-Length says more than 16 KB, reading nothing', async () => {
    const auth = createJikoAuth(await httpsOptions())
    const { stream, counter } = endlessBody(MAX_BODY_BYTES + 1)
    const response = await auth.handler(
      postCallback(stream, { 'content-length': String(MAX_BODY_BYTES + 1) }),
    )
    expect(response.status).toBe(413)
    expect(counter.pulled).toBe(0)
  })

  it('still reads a body of exactly 16 KB (and refuses it as a callback, not as too large)', async () => {
    const auth = createJikoAuth(await httpsOptions())
    const body = JSON.stringify({ state: 'x', code: 'y'.repeat(MAX_BODY_BYTES - 30) }).padEnd(MAX_BODY_BYTES)
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES)
    const response = await auth.handler(postCallback(body))
    expect(response.status).toBe(400)
    expect((await bodyOf(response)).error.code).not.toBe('JIKO_REQUEST_TOO_LARGE')
  })
})

type Listener = (req: IncomingMessage, res: ServerResponse) => void

describe('the node:http and Express adapters read no more of a body than the handler does', () => {
  let server: Server | undefined
  afterEach(async () => {
    await new Promise<void>((resolve) => {
      if (!server) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
    })
    server = undefined
  })

  /**
   * Sends a 200 MB chunked POST to an auth route; resolves with the status and how many bytes the server had taken
   * off the socket when its answer was sent.
   */
  async function hugePost(route: string, listen: (onRequest: Listener) => Server) {
    let bytesRead = -1
    server = listen((req, res) => {
      res.on('finish', () => {
        bytesRead = req.socket.bytesRead
      })
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const total = 200 * 1024 * 1024
    let produced = 0
    const body = new Readable({
      read() {
        if (produced >= total) return this.push(null)
        produced += 64 * 1024
        this.push(Buffer.alloc(64 * 1024, 0x61))
      },
    })
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          port,
          method: 'POST',
          path: `/auth/${route}`,
          headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
          body.unpipe(req)
        },
      )
      req.on('error', reject)
      body.pipe(req)
    })
    return { status, bytesRead }
  }

  async function localAuth() {
    return createJikoAuth({ ...(await httpsOptions()), redirectUri: 'http://localhost:3000/auth/callback' })
  }

  const nodeServer = (auth: JikoAuth) => (onRequest: Listener) => {
    const handle = toNodeHandler(auth)
    return createServer((req, res) => {
      onRequest(req, res)
      handle(req, res)
    })
  }

  const expressServer = (auth: JikoAuth) => (onRequest: Listener) => {
    const app = express()
    app.use((req, res, next) => {
      onRequest(req, res)
      next()
    })
    app.use(expressMiddleware(auth))
    return createServer(app)
  }

  // A read past 16 KB is one socket read at most (64 KB) and the stream's high-water mark (16 KB) more.
  const LIMIT = MAX_BODY_BYTES + 128 * 1024

  it.each([
    ['node:http', 'callback', 413],
    ['node:http', 'refresh', 401],
    ['Express', 'callback', 413],
    ['Express', 'refresh', 401],
  ] as const)(
    '%s, POST /auth/%s: answers %i having read at most ~16 KB',
    async (adapter, route, expected) => {
      const auth = await localAuth()
      const listen = adapter === 'Express' ? expressServer(auth) : nodeServer(auth)
      const { status, bytesRead } = await hugePost(route, listen)
      expect(status).toBe(expected)
      expect(bytesRead).toBeGreaterThan(0)
      expect(bytesRead).toBeLessThan(LIMIT)
    },
  )
})

describe('a login transaction is small and bounded', () => {
  async function storedTransaction(returnTo: string) {
    const { store, written } = measuringStore()
    const auth = createJikoAuth({ ...(await httpsOptions()), storage: store })
    const response = await auth.handler(
      new Request(`${APP}/auth/login?returnTo=${encodeURIComponent(returnTo)}`),
    )
    expect(response.status).toBe(303)
    const transactions = written.filter((w) => w.key.startsWith('jiko:tx:') && !w.key.endsWith(':claim'))
    expect(transactions).toHaveLength(1)
    return transactions[0]?.bytes ?? 0
  }

  it('is at most 1 KB with a short returnTo, and a 15,000-character returnTo is not kept', async () => {
    const short = await storedTransaction('/account')
    expect(short).toBeLessThanOrEqual(1024)
    expect(await storedTransaction(`/${'a'.repeat(15_000)}`)).toBeLessThanOrEqual(short)
  })

  it('grows with returnTo by no more than the 2 KB cap allows', async () => {
    const short = await storedTransaction('/')
    const longest = await storedTransaction(`/${'a'.repeat(2047)}`)
    // Encrypted and base64url-encoded: 4/3 of the plaintext.
    expect(longest - short).toBeLessThanOrEqual(Math.ceil((2047 * 4) / 3) + 8)
  })
})

describe('a request the URL parser refuses never crashes the server', () => {
  /** A node:http server of the handler, and `send`: raw HTTP over a socket, answered as text. */
  async function rawServer() {
    const auth = createJikoAuth({
      ...(await httpsOptions()),
      redirectUri: 'http://localhost:3000/auth/callback',
    })
    const server = createServer(toNodeHandler(auth))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    const send = (raw: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(raw))
        let text = ''
        socket.on('data', (chunk) => {
          text += chunk
        })
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
      })
    const close = () => {
      server.close()
      server.closeAllConnections()
    }
    return { port, send, close }
  }

  it.each([
    ['a Host that is no authority', 'GET /auth/session HTTP/1.1\r\nHost: x:99999\r\n\r\n'],
    ['a Host with a space', 'GET /auth/session HTTP/1.1\r\nHost: a b\r\n\r\n'],
  ])('%s: 400, and the next request is served', async (_name, raw) => {
    const { port, send, close } = await rawServer()
    try {
      const answer = await send(raw)
      expect(answer).toMatch(/^HTTP\/1\.1 400/)
      expect(answer).toContain('JIKO_BAD_REQUEST')
      const next = await fetch(`http://127.0.0.1:${port}/auth/session`)
      expect(next.status).toBe(200)
    } finally {
      close()
    }
  })

  it('an absolute-form target keeps its path on this origin', async () => {
    const { send, close } = await rawServer()
    try {
      const answer = await send(
        'GET http://evil.example/auth/session HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      )
      expect(answer).toMatch(/^HTTP\/1\.1 200/)
      expect(answer).toContain('"authenticated":false')
    } finally {
      close()
    }
  })
})
