'use server'

import { auth } from '@/lib/auth'
import { currentRequest } from '@/lib/currentRequest'

/**
 * A Server Action: the signed-in user's subject. It checks the session itself: an action is a POST that proxy.ts
 * may not see (its matcher guards pages), so each action verifies who calls it.
 */
export async function whoAmI(_previous?: string): Promise<string> {
  const session = await auth.getSession(await currentRequest('/account'))
  return session.authenticated ? `sub: ${session.subject}` : 'Signed out'
}
