/** A person who can sign in to the emulator. */
export interface EmulatorUser {
  /** The subject (`sub`) of their tokens. */
  id: string
  password: string
  name: string
  email: string
  phone?: string
}

/** The seeded users: sign in as `alice` / `alice-password` (or bob, carol). */
export const DEFAULT_USERS: EmulatorUser[] = [
  {
    id: 'alice',
    password: 'alice-password',
    name: 'Alice Martin',
    email: 'alice@example.test',
    phone: '+33600000001',
  },
  { id: 'bob', password: 'bob-password', name: 'Bob Chen', email: 'bob@example.test', phone: '+33600000002' },
  { id: 'carol', password: 'carol-password', name: 'Carol Diaz', email: 'carol@example.test' },
]

/** Every scope Jiko's portal knows. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'phone'] as const
export const API_SCOPES = [
  'pockets.read',
  'pockets.write',
  'transfers.read',
  'transfers.write',
  'customer.read',
  'customer.write',
  'team.read',
  'team.write',
  'onboarding.read',
  'onboarding.write',
  'agreements.read',
] as const
export const JIKO_SCOPES = [...OIDC_SCOPES, ...API_SCOPES]
