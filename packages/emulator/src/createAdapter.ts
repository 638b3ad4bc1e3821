import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { TtlStore } from './ttlStore.js'

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode'])

/**
 * oidc-provider's storage adapter over a TtlStore: no silent eviction (the bundled one is an LRU of 1,000 entries
 * that drops refresh tokens under load).
 */
export function createAdapter(store: TtlStore) {
  return class EmulatorAdapter implements Adapter {
    readonly #model: string

    constructor(model: string) {
      this.#model = model
    }

    #key(id: string) {
      return `${this.#model}:${id}`
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.#key(id)
      store.set(key, payload, expiresIn)
      if (this.#model === 'Session' && payload.uid) store.set(`sessionUid:${payload.uid}`, id, expiresIn)
      if (payload.userCode) store.set(`userCode:${payload.userCode}`, id, expiresIn)
      if (GRANTABLE.has(this.#model) && payload.grantId) {
        store.set(`grant:${payload.grantId}:${key}`, key, expiresIn)
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return store.get(this.#key(id)) as AdapterPayload | undefined
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = store.get(`sessionUid:${uid}`) as string | undefined
      return id === undefined ? undefined : this.find(id)
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = store.get(`userCode:${userCode}`) as string | undefined
      return id === undefined ? undefined : this.find(id)
    }

    async consume(id: string): Promise<void> {
      const payload = store.get(this.#key(id)) as AdapterPayload | undefined
      if (payload) {
        payload.consumed = Math.floor(Date.now() / 1000)
        store.touch()
      }
    }

    async destroy(id: string): Promise<void> {
      store.delete(this.#key(id))
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [indexKey, tokenKey] of [...store.entries(`grant:${grantId}:`)]) {
        store.delete(tokenKey as string)
        store.delete(indexKey)
      }
    }
  }
}
