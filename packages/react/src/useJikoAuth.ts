import { useContext, useSyncExternalStore } from 'react'
import { type AuthController, type AuthView, SERVER_VIEW } from './createAuthController.js'
import { AuthContext } from './JikoAuthProvider.js'

function useController(): AuthController {
  const controller = useContext(AuthContext)
  if (!controller) {
    throw new Error(
      'useJikoAuth() must be used inside <JikoAuthProvider>: wrap your app (or this part of it) in it',
    )
  }
  return controller
}

const getServerSnapshot = () => SERVER_VIEW

/**
 * A slice of the auth state: the component re-renders only when the slice changes (by `Object.is`). Return a
 * primitive, or an object taken as is from the state (e.g. `auth.session`), not a new object.
 *
 * @example
 * ```tsx
 * const subject = useJikoAuthSelector((auth) => auth.session?.subject)
 * ```
 */
export function useJikoAuthSelector<T>(selector: (view: AuthView) => T): T {
  const controller = useController()
  return useSyncExternalStore(
    controller.subscribe,
    () => selector(controller.getSnapshot()),
    () => selector(getServerSnapshot()),
  )
}

/**
 * The sign-in state and its actions. The browser never sees a token: call your own API, which uses
 * `auth.getAccessToken()` on the server.
 *
 * @example
 * ```tsx
 * const { isAuthenticated, session, login, logout } = useJikoAuth()
 * return isAuthenticated ? <button onClick={logout}>Sign out {session?.user?.name ?? session?.user?.sub}</button>
 *                        : <button onClick={() => login({ returnTo: '/accounts' })}>Sign in with Jiko</button>
 * ```
 */
export function useJikoAuth() {
  const controller = useController()
  const view = useSyncExternalStore(controller.subscribe, controller.getSnapshot, getServerSnapshot)
  return {
    ...view,
    login: controller.login,
    logout: controller.logout,
    refresh: controller.refresh,
    reset: controller.reset,
  }
}
