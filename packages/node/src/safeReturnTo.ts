/** The longest `returnTo` kept, before and after normalisation: a longer one becomes `/`. */
export const MAX_RETURN_TO_LENGTH = 2048

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/

/**
 * The `returnTo` to keep: a same-origin path (with query and fragment), or `/` for anything else — an absolute
 * URL, `//host`, `/\host`, a scheme, control characters, more than 2 KB. Never an open redirect.
 *
 * The decision is taken on the value that will be sent in `Location`, after the URL parser has done all its
 * normalisation (dot segments removed, `\` read as `/`, characters percent-encoded): `/.//evil.example` parses to
 * the path `//evil.example`, which a browser reads as another host, so it is refused here, not let through.
 */
export function safeReturnTo(value: string | null | undefined, appOrigin: string): string {
  if (!value || value.length > MAX_RETURN_TO_LENGTH || !value.startsWith('/')) return '/'
  // The parser would strip some of them silently; a returnTo that holds any is not a link a page made.
  if (CONTROL_CHARACTER.test(value)) return '/'
  let candidate: string
  try {
    const url = new URL(value, appOrigin)
    if (url.origin !== appOrigin) return '/'
    candidate = `${url.pathname}${url.search}${url.hash}`
  } catch {
    return '/'
  }
  return isSameOriginPath(candidate, appOrigin) ? candidate : '/'
}

/**
 * Whether `path`, sent as it is in `Location`, keeps the browser on `appOrigin`: one leading `/` (never `//` or
 * `/\`), no control character, at most 2 KB, and it parses back to itself on this origin.
 */
function isSameOriginPath(path: string, appOrigin: string): boolean {
  if (path.length > MAX_RETURN_TO_LENGTH || path[0] !== '/' || path[1] === '/' || path[1] === '\\')
    return false
  if (CONTROL_CHARACTER.test(path)) return false
  try {
    const url = new URL(path, appOrigin)
    return url.origin === appOrigin && `${url.pathname}${url.search}${url.hash}` === path
  } catch {
    return false
  }
}
