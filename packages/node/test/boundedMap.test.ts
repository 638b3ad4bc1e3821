import { describe, expect, it } from 'vitest'
import { BoundedMap } from '../src/boundedMap.js'

describe('BoundedMap', () => {
  it('holds at most its limit, forgetting the oldest entry first', () => {
    const map = new BoundedMap<string, number>(2)
    map.set('a', 1).set('b', 2).set('c', 3)
    expect([...map.keys()]).toEqual(['b', 'c'])
  })

  it('overwriting a key forgets nothing', () => {
    const map = new BoundedMap<string, number>(2)
    map.set('a', 1).set('b', 2).set('a', 3)
    expect(Object.fromEntries(map)).toEqual({ a: 3, b: 2 })
  })
})
