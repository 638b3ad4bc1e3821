// The page rendered on the server with react-dom/server, as in server-side rendering: nothing may touch `window`
// while rendering. Prints the HTML.
import { renderToString } from 'react-dom/server'
import { Root } from './page.js'

console.log(renderToString(<Root />))
