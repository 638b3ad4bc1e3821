// The browser's part of a login, in a process of its own, so that its work (and its garbage) is not counted in the
// client's CPU time: per stdin line (an authorization URL) it follows the emulator's pages and answers the callback
// URL on stdout.
import { createInterface } from 'node:readline'
import { signIn } from '@jiko-auth/emulator'

const issuer = process.argv[2]
for await (const url of createInterface({ input: process.stdin })) {
  process.stdout.write(`${await signIn(issuer, url)}\n`)
}
