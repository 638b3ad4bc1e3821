// Everything the browser entry has (the machine, its types, the errors), plus the protocol functions.

export type { AuthStore, MaybePromise, VersionedAuthStore } from './authStore.js'
export { type Clock, systemClock } from './clock.js'
export { type CryptoAdapter, type SigningKey, webCryptoAdapter } from './cryptoAdapter.js'
export type { JikoAuthErrorOptions, OAuthErrorBody } from './errors.js'
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  getJson,
  type HttpAdapter,
  type HttpOptions,
  type HttpResult,
  postForm,
  readCappedText,
  toTransportError,
} from './http.js'
export { createLockReleases, type LockReleases } from './lockReleases.js'
export {
  createDirectImplementations,
  createDirectMachine,
  type DirectMachineOptions,
  sessionFromTokens,
  userFromClaims,
} from './machine/createDirectMachine.js'
export {
  createMachineStepper,
  type MachineStepper,
  type MachineStepperOptions,
  type MachineStepResult,
  type StepActorRef,
  type StepInspectionEvent,
} from './machine/createMachineStepper.js'
export * from './machine.js'
export {
  type AuthorizationUrlParams,
  buildAuthorizationUrl,
  requireRedirectUri,
} from './protocol/buildAuthorizationUrl.js'
export {
  ENDPOINTS,
  type EndpointName,
  ID_TOKEN_ALGORITHMS,
  JIKO_SCOPES,
  type JikoClientConfig,
  type JikoClientConfigInput,
  keyAlgorithmMismatch,
  MAX_ASSERTION_LIFETIME_SECONDS,
  type PrivateKeyInput,
  parseConfig,
  resolveConfig,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from './protocol/config.js'
export {
  CLIENT_ASSERTION_TYPE,
  type ClientAssertionOptions,
  createClientAssertion,
} from './protocol/createClientAssertion.js'
export {
  createIdTokenVerifier,
  type IdTokenClaims,
  type IdTokenExpectations,
  type IdTokenVerifier,
  type IdTokenVerifierOptions,
  isIdTokenRejection,
  JWKS_COOLDOWN_MS,
} from './protocol/createIdTokenVerifier.js'
export {
  createMetadataCache,
  METADATA_TTL_MS,
  type MetadataCache,
  type MetadataCacheOptions,
} from './protocol/createMetadataCache.js'
export { createTokenClient, type TokenClient, type TokenClientOptions } from './protocol/createTokenClient.js'
export { createDpopProof, type DpopKey, type DpopProofOptions, generateDpopKey } from './protocol/dpop.js'
export { importSigningKey } from './protocol/importSigningKey.js'
export {
  type AuthorizationResponse,
  type CallbackExpectations,
  parseCallback,
} from './protocol/parseCallback.js'
export { parseTokenResponse, type TokenSet } from './protocol/parseTokenResponse.js'
export { computeCodeChallenge, createPkcePair, createState, type PkcePair } from './protocol/pkce.js'
export { readOAuthResponse } from './protocol/readOAuthResponse.js'
export {
  type ContentDigestAlgorithm,
  createContentDigest,
  JIKO_SIGNED_COMPONENTS,
  REQUEST_SIGNING_ALGORITHMS,
  type RequestSigningAlgorithm,
  type SignRequestOptions,
  signRequest,
} from './protocol/signRequest.js'
