import { hotPath } from './hotPath.mjs'

console.log(JSON.stringify(await hotPath(), null, 1))
