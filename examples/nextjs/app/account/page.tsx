import { auth } from '@/lib/auth'
import { currentRequest } from '@/lib/currentRequest'
import { WhoAmIForm } from './WhoAmIForm'

/** Signed in only: proxy.ts sends everyone else to the login route first. */
export default async function Account() {
  const session = await auth.getSession(await currentRequest('/account'))
  return (
    <main>
      <h1>{`Account of ${session.user?.name}`}</h1>
      <p>{`Scopes: ${session.scopes.join(' ')}`}</p>
      <WhoAmIForm />
      <form method="post" action="/auth/logout">
        <button type="submit">Sign out</button>
      </form>
    </main>
  )
}
