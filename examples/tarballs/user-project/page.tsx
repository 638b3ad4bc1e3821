// A user's React page, as it would be written outside this repository against the published @jiko-auth/react: the
// provider over the app's own @jiko-auth/node routes, and a component using the hook.
import { JikoAuthProvider, serverAdapter, useJikoAuth } from '@jiko-auth/react'

const adapter = serverAdapter({ baseUrl: '/auth' })

function Account() {
  const { state, isLoading, isAuthenticated, session, login } = useJikoAuth()
  if (isLoading) return <p data-state={state}>Loading…</p>
  if (!isAuthenticated) {
    return (
      <button type="button" onClick={() => login({ returnTo: '/' })}>
        Sign in with Jiko
      </button>
    )
  }
  return <p>Signed in as {session?.user?.name ?? session?.subject}</p>
}

export function Root() {
  return (
    <JikoAuthProvider adapter={adapter}>
      <Account />
    </JikoAuthProvider>
  )
}
