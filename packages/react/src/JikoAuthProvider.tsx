import { createContext, type ReactNode, useEffect, useState } from 'react'
import {
  type AuthController,
  type AuthControllerOptions,
  createAuthController,
} from './createAuthController.js'

export const AuthContext = createContext<AuthController | undefined>(undefined)

export interface JikoAuthProviderProps extends AuthControllerOptions {
  children?: ReactNode
}

/**
 * Runs Jiko sign-in for the tree below: learns the session from your server on load, finishes a login when this
 * page is the redirect target, refreshes ahead of expiry, keeps tabs in step. Safe to render on the server.
 *
 * @example
 * ```tsx
 * <JikoAuthProvider adapter={serverAdapter({ baseUrl: '/auth' })}>
 *   <App />
 * </JikoAuthProvider>
 * ```
 */
export function JikoAuthProvider({
  adapter,
  inspect,
  inspectUnredacted,
  leewaySeconds,
  children,
}: JikoAuthProviderProps) {
  const [controller] = useState(() =>
    createAuthController({
      adapter,
      ...(inspect ? { inspect } : {}),
      ...(inspectUnredacted ? { inspectUnredacted } : {}),
      ...(leewaySeconds === undefined ? {} : { leewaySeconds }),
    }),
  )
  useEffect(() => {
    controller.start()
    return () => controller.stop()
  }, [controller])
  return <AuthContext.Provider value={controller}>{children}</AuthContext.Provider>
}
