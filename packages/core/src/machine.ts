// The browser entry: the machine and its types only — no jose, no zod, no signing.

export {
  ErrorCode,
  fromSerializedError,
  JikoAuthError,
  OAuthResponseError,
  type SerializedAuthError,
  toJikoAuthError,
} from './errors.js'
export { type AuthMachine, authMachine, isSessionExpiredError } from './machine/authMachine.js'
export { redact, redactForInspector, redactingInspector } from './machine/redact.js'
export {
  createRefreshDelay,
  DEFAULT_LEEWAY_MS,
  effectiveLeewayMs,
  isSessionFresh,
  refreshDelayMs,
} from './machine/refreshDelay.js'
export type * from './machine/types.js'
