import type { NextRequest } from 'next/server'
import { auth } from '@/lib/auth'

/** Guards /account: a visitor who is not signed in is sent to the login route, and comes back after it. */
export async function proxy(request: NextRequest) {
  const session = await auth.protect(request, { mode: 'page' })
  // Signed in: render the page. Otherwise the 303 to /auth/login?returnTo=/account.
  return session instanceof Response ? session : undefined
}

export const config = { matcher: ['/account/:path*'] }
