export interface SignInOptions {
  /** The user to sign in as (default: the first seeded user). */
  user?: string
  /** Their password (default: `{user}-password`, as seeded). */
  password?: string
  /** Approve (default) or deny the consent. */
  decision?: 'approve' | 'deny'
}

/**
 * Plays the browser's part of a login against the emulator, through its real pages: follows the authorization URL,
 * fills the login form, answers the consent page, and returns the URL the emulator redirects back to (the client's
 * redirect_uri with `code`/`state` or `error`). For tests that have no browser.
 */
export async function signIn(
  issuer: string,
  authorizationUrl: string,
  options: SignInOptions = {},
): Promise<string> {
  const origin = new URL(issuer).origin
  const cookies = new Map<string, string>()
  const user = options.user ?? 'alice'
  let url = authorizationUrl
  let form: URLSearchParams | undefined
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: form.toString() } : {}),
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    form = undefined
    const location = response.headers.get('location')
    if (location) {
      url = new URL(location, url).href
      if (new URL(url).origin !== origin) return url
      continue
    }
    const html = await response.text()
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]
    if (response.status !== 200 || !action) {
      throw new Error(`signIn: unexpected ${response.status} answer from ${new URL(url).pathname}`)
    }
    url = new URL(
      action.replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))),
      url,
    ).href
    form = action.endsWith('/login')
      ? new URLSearchParams({ username: user, password: options.password ?? `${user}-password` })
      : new URLSearchParams({ decision: options.decision ?? 'approve' })
  }
  throw new Error('signIn: too many redirects')
}
