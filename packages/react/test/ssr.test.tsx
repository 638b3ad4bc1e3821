// @vitest-environment node
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { JikoAuthProvider, serverAdapter, useJikoAuth } from '../src/index.js'

function Status() {
  const { state, isLoading, isAuthenticated } = useJikoAuth()
  return <p>{`${state}:${isLoading ? 'loading' : 'ready'}:${isAuthenticated ? 'in' : 'out'}`}</p>
}

describe('server rendering', () => {
  it('renders without a window, in the loading state, without fetching', () => {
    expect(typeof window).toBe('undefined')
    let fetched = 0
    const adapter = serverAdapter({
      fetch: async () => {
        fetched += 1
        return new Response('{}')
      },
    })
    const html = renderToString(
      <JikoAuthProvider adapter={adapter}>
        <Status />
      </JikoAuthProvider>,
    )
    expect(html).toBe('<p>idle:loading:out</p>')
    expect(fetched).toBe(0)
  })
})
