export type { AuthControllerOptions, AuthView, PublicSession } from './createAuthController.js'
export { JikoAuthProvider, type JikoAuthProviderProps } from './JikoAuthProvider.js'
export { type AuthAdapter, type ServerAdapterOptions, serverAdapter } from './serverAdapter.js'
export { useJikoAuth, useJikoAuthSelector } from './useJikoAuth.js'
