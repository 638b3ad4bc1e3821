const CSS = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1c1e21;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;border-radius:12px;box-shadow:0 2px 12px #0002;padding:2rem;width:min(26rem,90vw)}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .3rem;font-weight:600}
input,select{width:100%;padding:.55rem;border:1px solid #aab;border-radius:6px;font-size:1rem;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border-radius:6px;border:0;font-size:1rem;cursor:pointer;background:#0b5cff;color:#fff}
button.secondary{background:#e4e6eb;color:#1c1e21;margin-left:.5rem}button:focus-visible,input:focus-visible{outline:3px solid #ffb400}
ul{padding-left:1.2rem}.error{color:#b00020}.hint{color:#555;font-size:.9rem}`

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Jiko emulator</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`
}

/** The sign-in page: a user and a password. */
export function loginPage(options: {
  action: string
  clientId: string
  users: string[]
  error?: string
}): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''
  return page(
    'Sign in',
    `<h1>Sign in to Jiko</h1><p class="hint">Application <strong>${escapeHtml(options.clientId)}</strong> asks you to sign in.</p>${error}
<form method="post" action="${escapeHtml(options.action)}">
<label for="username">User</label><input id="username" name="username" autocomplete="username" required autofocus list="users">
<datalist id="users">${options.users.map((u) => `<option value="${escapeHtml(u)}">`).join('')}</datalist>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="hint">Emulator users: ${options.users.map((u) => `${escapeHtml(u)} / ${escapeHtml(u)}-password`).join(', ')}</p>`,
  )
}

/** The consent page: the scopes asked for, Approve or Deny. */
export function consentPage(options: {
  action: string
  clientId: string
  scopes: string[]
  user: string
}): string {
  return page(
    'Consent',
    `<h1>Allow access?</h1><p><strong>${escapeHtml(options.clientId)}</strong> asks, for <strong>${escapeHtml(options.user)}</strong>:</p>
<ul aria-label="Requested scopes">${options.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(options.action)}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button></form>`,
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
