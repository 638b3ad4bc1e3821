import { afterEach, describe, expect, it, vi } from 'vitest'
import { errors, Provider } from '../src/oidcProvider.js'

describe("oidc-provider's classes, loaded without its entry's runtime check", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('are the ones its entry exports (the same Provider, the same error classes)', async () => {
    // The entry prints "Unsupported runtime" on Node 20: kept out of the test's output.
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const entry = await import('oidc-provider')
    expect(Provider).toBe(entry.default)
    expect(Provider).toBe(entry.Provider)
    expect(Object.keys(errors).sort()).toEqual(Object.keys(entry.errors).sort())
    for (const [name, errorClass] of Object.entries(entry.errors)) {
      expect(errors[name as keyof typeof errors], name).toBe(errorClass)
    }
  })
})
