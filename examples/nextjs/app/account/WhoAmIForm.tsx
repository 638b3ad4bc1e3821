'use client'

import { useActionState } from 'react'
import { whoAmI } from './whoAmI'

/** Calls the `whoAmI` Server Action and shows its answer. */
export function WhoAmIForm() {
  const [answer, ask, pending] = useActionState(whoAmI, '')
  return (
    <form action={ask}>
      <button type="submit" disabled={pending}>
        Who am I?
      </button>
      <output>{answer}</output>
    </form>
  )
}
