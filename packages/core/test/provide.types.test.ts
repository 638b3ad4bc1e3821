import { describe, expectTypeOf, it } from 'vitest'
import { fromPromise, type PromiseActorLogic } from 'xstate'
import {
  type AuthSession,
  authMachine,
  createDirectImplementations,
  type JikoClientConfig,
} from '../src/index.js'

// These are checked by `tsc` (pnpm typecheck); each @ts-expect-error fails the typecheck if the error disappears.
describe('authMachine.provide() types', () => {
  it('accepts the direct implementations', () => {
    const implementations = createDirectImplementations({
      config: { scopes: [] } as unknown as JikoClientConfig,
    })
    expectTypeOf(authMachine.provide(implementations)).toEqualTypeOf<typeof authMachine>()
  })

  it('rejects an actor with the wrong output', () => {
    authMachine.provide({
      actors: {
        // @ts-expect-error exchangeCode must resolve to an AuthSession
        exchangeCode: fromPromise(async () => 42),
      },
    })
  })

  it('rejects an actor with the wrong input', () => {
    authMachine.provide({
      actors: {
        // @ts-expect-error refreshTokens takes { session }, not a string
        refreshTokens: fromPromise<AuthSession, string>(async () => ({}) as AuthSession),
      },
    })
  })

  it('rejects an actor the machine does not have', () => {
    authMachine.provide({
      actors: {
        // @ts-expect-error there is no actor named fetchUser
        fetchUser: fromPromise(async () => 1),
      },
    })
  })

  it('types the direct exchangeCode as resolving to an AuthSession', () => {
    const { actors } = createDirectImplementations({ config: { scopes: [] } as unknown as JikoClientConfig })
    type Output = typeof actors.exchangeCode extends PromiseActorLogic<infer O, infer _I> ? O : never
    expectTypeOf<Output>().toEqualTypeOf<AuthSession>()
  })
})
