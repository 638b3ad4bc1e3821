import { createJikoAuth } from '@jiko-auth/node'
import { sqliteStorage } from '@jiko-auth/storage-sqlite'

/** A setting from the environment. Absent during `next build`: createJikoAuth then reports it on first use. */
const setting = (name: string) => process.env[name] as string

/** The app's one Jiko sign-in, configured from the environment. */
export const auth = createJikoAuth({
  issuer: setting('JIKO_ISSUER'),
  clientId: setting('JIKO_CLIENT_ID'),
  redirectUri: setting('JIKO_REDIRECT_URI'), // e.g. http://localhost:3000/auth/callback
  scopes: ['openid', 'profile', 'pockets.read'],
  privateKey: setting('JIKO_PRIVATE_KEY')?.replace(/\\n/g, '\n'), // PEM; one-line `\n` escapes allowed
  secret: setting('JIKO_AUTH_SECRET'),
  // One SQLite file, shared by every copy of this module (Next.js evaluates it once per server bundle: proxy, route
  // handler, pages) and every process on the host. Opened on first use: `next build` opens nothing.
  storage: sqliteStorage({ path: process.env.JIKO_SQLITE_PATH ?? '.data/sessions.db' }),
  basePath: '/auth',
})
