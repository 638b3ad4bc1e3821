export {
  type DiscoveryFault,
  Faults,
  ID_TOKEN_TAMPERS,
  type IdTokenTamper,
  type IdTokenTamperOptions,
  type TokenFault,
} from './faults.js'
export { type Pocket, pocketsOf, type Transfer } from './pockets.js'
export {
  type ApiPublicKey,
  type ApiSigningAlgorithm,
  type ClientMetadataRecord,
  type ClientRegistration,
  type GrantType,
  toClientMetadata,
} from './registerClient.js'
export { type SignInOptions, signIn } from './signIn.js'
export {
  type EmulatorOptions,
  type EmulatorStats,
  ROUTES,
  type RunningEmulator,
  startEmulator,
} from './startEmulator.js'
export { API_SCOPES, DEFAULT_USERS, type EmulatorUser, JIKO_SCOPES, OIDC_SCOPES } from './users.js'
