import { auth } from '@/lib/auth'
import { currentRequest } from '@/lib/currentRequest'

export default async function Home() {
  const session = await auth.getSession(await currentRequest())
  if (!session.authenticated) {
    return (
      <main>
        <p>Signed out</p>
        <a href="/auth/login?returnTo=/account">Sign in with Jiko</a>
      </main>
    )
  }
  return (
    <main>
      <p>{`Signed in as ${session.user?.name}`}</p>
      <a href="/account">Your account</a>
      <form method="post" action="/auth/logout">
        <button type="submit">Sign out</button>
      </form>
    </main>
  )
}
