// Appended to a README block marked `signin`, in the block's own process: alice signs in through the block's `auth`
// against the emulator (headless, so no page to fill), the way a browser without JavaScript would — redirects by
// hand, a cookie jar for the app and one for the emulator — then the session must be hers and hold a token.
import type { JikoAuth } from '@jiko-auth/node'

/**
 * Signs alice in through `auth`: through its Fetch handler, or over HTTP when `server` (the origin the block's
 * server listens on) is given. Every URL not on the emulator (`issuer`) is the app's. Prints the session as one
 * JSON line, and throws when anything is off.
 */
export async function signInAsAlice(
  auth: JikoAuth,
  { issuer, server }: { issuer: string; server?: string | undefined },
): Promise<void> {
  const jars = { app: new Map<string, string>(), emulator: new Map<string, string>() }
  if (server) await listening(server)
  const returnTo = '/signed-in'
  let url = `${server ?? 'https://app.example'}/auth/login?returnTo=${returnTo}`
  for (let hop = 0; ; hop++) {
    if (hop > 20) throw new Error(`sign-in: too many redirects, last ${url}`)
    const response = await browse(url)
    const location = response.headers.get('location')
    if (!location) {
      throw new Error(`sign-in: ${response.status} at ${new URL(url).pathname}: ${await response.text()}`)
    }
    url = new URL(location, url).href
    if (!onEmulator(url) && new URL(url).pathname === returnTo) break
  }
  const sessionUrl = new URL('/auth/session', url).href
  const session = (await (await browse(sessionUrl)).json()) as {
    authenticated?: boolean
    user?: { sub?: string }
  }
  if (!session.authenticated || session.user?.sub !== 'alice') {
    throw new Error(`sign-in: the session is not alice's: ${JSON.stringify(session)}`)
  }
  const token = await auth.getAccessToken(request(sessionUrl))
  if (token.split('.').length !== 3) throw new Error('sign-in: getAccessToken gave no JWT')
  console.log(JSON.stringify({ session }))

  /** The block's server may still be binding its port when this runs. */
  async function listening(origin: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await (await fetch(`${origin}/auth/session`)).body?.cancel()
        return
      } catch (error) {
        if (attempt >= 50) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }

  function onEmulator(target: string): boolean {
    return new URL(target).host === new URL(issuer).host
  }

  /** One request with the jar's cookies, no redirect followed: the emulator's over HTTP, the app's to `auth`. */
  async function browse(target: string): Promise<Response> {
    const { pathname, search } = new URL(target)
    const response = onEmulator(target)
      ? await fetch(request(target))
      : server
        ? await fetch(request(target, `${server}${pathname}${search}`))
        : await auth.handler(request(target))
    const jar = onEmulator(target) ? jars.emulator : jars.app
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      if (/;\s*max-age=0/i.test(line)) jar.delete(pair.slice(0, eq))
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return response
  }

  function request(target: string, sendTo = target): Request {
    const jar = onEmulator(target) ? jars.emulator : jars.app
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    return new Request(sendTo, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  }
}
