import type { Plugin } from 'vite'
import { layoutMachine } from './layoutMachine.js'

const ID = 'virtual:machine-layout'
const RESOLVED = `\0${ID}`

/**
 * `import layout from 'virtual:machine-layout'`: the diagram of `authMachine`, laid out by ELK when the page is
 * built. ELK is 1.6 MB of JavaScript (480 kB gzipped); the layout it computes for this machine is a few kB of JSON.
 */
export function machineLayoutPlugin(): Plugin {
  return {
    name: 'jiko-demo:machine-layout',
    resolveId: (id) => (id === ID ? RESOLVED : undefined),
    async load(id) {
      if (id !== RESOLVED) return undefined
      return `export default ${JSON.stringify(await layoutMachine())}`
    },
  }
}
