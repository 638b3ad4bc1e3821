import { headers } from 'next/headers'

/**
 * The incoming request as a `Request`, for `auth.getSession()` in a Server Component or a Server Action, which
 * get headers but no request. The cookie header is what counts; the URL is the app's origin.
 */
export async function currentRequest(path = '/'): Promise<Request> {
  const origin = process.env.APP_ORIGIN ?? 'http://localhost:3000'
  return new Request(new URL(path, origin), { headers: await headers() })
}
