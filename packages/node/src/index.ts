export type { ApiSigningOptions } from './createApiFetch.js'
export { createJikoAuth, type JikoAuth } from './createJikoAuth.js'
export {
  createJikoServiceClient,
  type JikoServiceClient,
  type JikoServiceClientOptions,
} from './createJikoServiceClient.js'
export { generateKeyFiles, type KeyAlgorithm, type KeyFiles } from './generateKeyFiles.js'
export { nodeCryptoAdapter } from './nodeCryptoAdapter.js'
export { createNodeHttpAdapter } from './nodeHttpAdapter.js'
export type { JikoAuthLogger, JikoAuthOptions } from './options.js'
export type { ProtectedSession, ProtectOptions } from './protect.js'
export { requireAuthHono } from './requireAuthHono.js'
export type { SessionInfo } from './responses.js'
export type { SessionExtra, SessionHook, SessionHookEvent } from './sessionHook.js'
export {
  expressMiddleware,
  type NodeAdapterOptions,
  protectNode,
  requireAuth,
  toNodeHandler,
  toRequest,
  writeResponse,
} from './toNodeHandler.js'
