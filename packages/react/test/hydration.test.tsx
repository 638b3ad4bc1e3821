import { act } from '@testing-library/react'
import { StrictMode } from 'react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { expect, it, vi } from 'vitest'
import { JikoAuthProvider, useJikoAuth } from '../src/index.js'
import { fakeServer } from './fakeServer.js'

function Status() {
  const { state, isLoading } = useJikoAuth()
  return <p>{`${state}:${isLoading ? 'loading' : 'ready'}`}</p>
}

it('hydrates the server HTML without a mismatch, then learns the session', async () => {
  const server = fakeServer({ subject: 'alice', scopes: ['pockets.read'], expiresAt: Date.now() + 900_000 })
  const app = (
    <StrictMode>
      <JikoAuthProvider adapter={server.adapter}>
        <Status />
      </JikoAuthProvider>
    </StrictMode>
  )
  const container = document.createElement('div')
  container.innerHTML = renderToString(app)
  document.body.appendChild(container)
  const onRecoverableError = vi.fn()
  await act(async () => {
    hydrateRoot(container, app, { onRecoverableError })
  })
  await vi.waitFor(() => expect(container.textContent).toBe('authenticated:ready'))
  expect(onRecoverableError).not.toHaveBeenCalled()
})
