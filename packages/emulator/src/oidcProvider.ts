// oidc-provider's Provider class and errors, loaded without its entry module's runtime check. The package's entry
// (lib/index.js) prints "oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release."
// when it is imported on a Node whose LTS name comes before "Jod" (22): on Node 20, at every start of the emulator
// and in every test process. The emulator supports Node 20.19+ like the rest of jiko-auth (its whole suite runs on
// 20, 22 and 24), so it imports the two modules that entry re-exports: the same classes, without the line.
// oidc-provider is pinned to an exact version in package.json; a version that moves these modules fails at import,
// and test/oidcProvider.test.ts checks that they are the ones the entry exports.
import type * as OidcProvider from 'oidc-provider'
// @ts-expect-error the package's types describe its entry only
import * as errorClasses from 'oidc-provider/lib/helpers/errors.js'
// @ts-expect-error the package's types describe its entry only
import { Provider as ProviderClass } from 'oidc-provider/lib/provider.js'

export const Provider: typeof OidcProvider.default = ProviderClass
export const errors: typeof OidcProvider.errors = errorClasses
