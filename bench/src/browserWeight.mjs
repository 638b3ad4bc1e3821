// 4. Browser weight: each React auth library's entry bundled the same way (esbuild, minify, gzip, react external).
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ENTRIES = {
  '@jiko-auth/react': `export { JikoAuthProvider, useJikoAuth, serverAdapter } from '@jiko-auth/react'`,
  'react-oidc-context + oidc-client-ts': `export { AuthProvider, useAuth } from 'react-oidc-context'`,
  '@auth0/auth0-react': `export { Auth0Provider, useAuth0 } from '@auth0/auth0-react'`,
}

export async function browserWeight() {
  const results = {}
  for (const [name, contents] of Object.entries(ENTRIES)) {
    const result = await build({
      stdin: { contents, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      external: ['react', 'react-dom', 'react/jsx-runtime'],
      logLevel: 'silent',
    })
    results[name] = gzipSync(result.outputFiles[0].contents).length
  }
  return results
}
