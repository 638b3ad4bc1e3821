/**
 * The `returnTo` to keep: a same-origin path (with query and fragment), or `/` for anything else — an absolute
 * URL, `//host`, `/\host`, a scheme, control characters. Never an open redirect.
 */
export function safeReturnTo(value: string | null | undefined, appOrigin: string): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/'
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/'
  try {
    const url = new URL(value, appOrigin)
    if (url.origin !== appOrigin) return '/'
    return `${url.pathname}${url.search}${url.hash}`
  } catch {
    return '/'
  }
}
