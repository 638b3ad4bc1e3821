import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expressMiddleware } from '../src/index.js'
import { Browser, bodyOf, requestFrom, signIn, startApp, type TestApp } from './harness.js'

let app: TestApp
beforeAll(async () => {
  app = await startApp()
})
afterAll(() => app.stop())

describe('framework adapters', () => {
  it('Express: serves the auth routes and passes the rest on; getAccessToken works in a route', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const server = express()
    server.use(expressMiddleware(app.auth))
    server.get('/api/me', async (req, res) => {
      const token = await app.auth.getAccessToken(
        new Request(`${app.origin}/api/me`, { headers: { cookie: req.headers.cookie ?? '' } }),
      )
      res.json({ hasToken: token.length > 0 })
    })
    const listening = createServer(server).listen(0, '127.0.0.1')
    await new Promise((resolve) => listening.once('listening', resolve))
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
    try {
      const cookie = requestFrom(app, browser).headers.get('cookie') as string
      const session = await fetch(`${base}/auth/session`, { headers: { cookie } })
      expect((await bodyOf(session)).subject).toBe('alice')
      const me = await fetch(`${base}/api/me`, { headers: { cookie } })
      expect(await bodyOf(me)).toEqual({ hasToken: true })
    } finally {
      listening.close()
    }
  })

  it('Hono: app.all("/auth/*", (c) => auth.handler(c.req.raw))', async () => {
    const browser = new Browser()
    await signIn(app, browser)
    const hono = new Hono()
    hono.all('/auth/*', (c) => app.auth.handler(c.req.raw))
    const response = await hono.request(requestFrom(app, browser, '/auth/session'))
    expect((await bodyOf(response)).authenticated).toBe(true)
    const login = await hono.request(`${app.origin}/auth/login`)
    expect(login.status).toBe(303)
  })
})
