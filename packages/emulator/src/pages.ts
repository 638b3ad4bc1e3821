const CSS = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1c1e21;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px #0002;padding:2rem;width:min(26rem,90vw)}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .3rem;font-weight:600}
input,select{width:100%;padding:.55rem;border:1px solid #aab;border-radius:6px;font-size:1rem;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border-radius:6px;border:0;font-size:1rem;cursor:pointer;background:#0b5cff;color:#fff}
button.secondary{background:#e4e6eb;color:#1c1e21;margin-left:.5rem}button:focus-visible,input:focus-visible{outline:3px solid #ffb400}
ul{padding-left:1.2rem}.error{color:#b00020}.hint{color:#555;font-size:.9rem}a{color:#0a4fd6}`

/**
 * The emulator's icon, served at `/favicon.svg` and `/favicon.ico` (browsers ask for the latter on every page,
 * oidc-provider's own included).
 */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#1c1e21"/><path d="M40 14v25a11 11 0 0 1-22 0" fill="none" stroke="#fff" stroke-width="8" stroke-linecap="round"/><circle cx="46" cy="48" r="5" fill="#ffb400"/></svg>`

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Jiko emulator</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><style>${CSS}</style></head><body><main>${body}</main></body></html>`
}

/** The sign-in page: a user and a password (`switchingFrom`: the user signed in now, who chose "Not you?"). */
export function loginPage(options: {
  action: string
  clientId: string
  users: string[]
  error?: string
  switchingFrom?: string
}): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''
  const switching = options.switchingFrom
    ? `<p class="hint">Signed in as <strong>${escapeHtml(options.switchingFrom)}</strong>: sign in with another account, and that session ends.</p>`
    : ''
  return page(
    'Sign in',
    `<h1>Sign in to Jiko</h1><p class="hint">Application <strong>${escapeHtml(options.clientId)}</strong> asks you to sign in.</p>${switching}${error}
<form method="post" action="${escapeHtml(options.action)}">
<label for="username">User</label><input id="username" name="username" autocomplete="username" required autofocus list="users">
<datalist id="users">${options.users.map((u) => `<option value="${escapeHtml(u)}">`).join('')}</datalist>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="hint">Emulator users: ${options.users.map((u) => `${escapeHtml(u)} / ${escapeHtml(u)}-password`).join(', ')}</p>`,
  )
}

/**
 * The consent page: the scopes asked for, Approve or Deny, and "Not you?" (`switchUser`), which leads to the sign-in
 * page for another account.
 */
export function consentPage(options: {
  action: string
  clientId: string
  scopes: string[]
  user: string
  switchUser?: string
}): string {
  const notYou = options.switchUser
    ? `<p class="hint"><a href="${escapeHtml(options.switchUser)}">Not you? Use another account</a></p>`
    : ''
  return page(
    'Consent',
    `<h1>Allow access?</h1><p><strong>${escapeHtml(options.clientId)}</strong> asks, for <strong>${escapeHtml(options.user)}</strong>:</p>
<ul aria-label="Requested scopes">${options.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(options.action)}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button></form>${notYou}`,
  )
}

/** oidc-provider's error page (an authorization request it refuses), in the emulator's style. */
export function errorPage(options: { error: string; description?: string }): string {
  return page(
    'Error',
    `<h1>This request cannot be completed</h1><p class="error" role="alert"><strong>${escapeHtml(options.error)}</strong>${
      options.description ? `: ${escapeHtml(options.description)}` : ''
    }</p><p class="hint">Go back to the application and start again.</p>`,
  )
}
