import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  // better-sqlite3 (a native addon, used by @jiko-auth/storage-sqlite) is on Next.js's built-in list of packages
  // loaded with Node's require instead of being bundled; it is named here too, to say so.
  serverExternalPackages: ['better-sqlite3'],
}

export default nextConfig
