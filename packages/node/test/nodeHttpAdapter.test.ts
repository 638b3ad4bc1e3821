import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { postForm } from '@jiko-auth/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNodeHttpAdapter } from '../src/nodeHttpAdapter.js'

let server: Server
let base: string
const sockets = new Set<unknown>()

beforeAll(async () => {
  server = createServer((req, res) => {
    sockets.add(req.socket)
    if (req.url === '/slow') return // never answers
    if (req.url === '/empty') return res.writeHead(204).end()
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = 'x'.repeat(64 * 1024)
      const write = () => {
        while (res.write(chunk)) {}
        res.once('drain', write)
      }
      return write()
    }
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ method: req.method, body, length: req.headers['content-length'] }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('createNodeHttpAdapter', () => {
  it('answers fetch-shaped: status, every header, the body; one kept-alive connection for many requests', async () => {
    const http = createNodeHttpAdapter()
    sockets.clear()
    for (let i = 0; i < 5; i++) {
      const response = await http(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=x&é=1',
        signal: new AbortController().signal,
      })
      expect(response.status).toBe(200)
      expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
      expect(await response.json()).toEqual({ method: 'POST', body: 'grant_type=x&é=1', length: '17' })
    }
    expect(sockets.size).toBe(1)
  })

  it('a 204 has no body', async () => {
    const response = await createNodeHttpAdapter()(`${base}/empty`, {
      method: 'GET',
      headers: {},
      signal: new AbortController().signal,
    })
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  it('through core: a timeout, a refused connection and an endless body get core’s typed errors', async () => {
    const http = { http: createNodeHttpAdapter({ maxResponseBytes: 1000 }), maxResponseBytes: 1000 }
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      )
    const form = new URLSearchParams({ a: 'b' })
    expect(await codeOf(postForm(`${base}/slow`, form, { ...http, timeoutMs: 50 }))).toBe('JIKO_TIMEOUT')
    expect(await codeOf(postForm('http://127.0.0.1:1/token', form, http))).toBe('JIKO_NETWORK_ERROR')
    expect(await codeOf(postForm(`${base}/huge`, form, http))).toBe('JIKO_RESPONSE_TOO_LARGE')
  })
})
