// The server path as @jiko-auth/node runs it, taken from the built package: its flow runner is not public API,
// and the benchmark must measure that code, not a copy of it.
export { createFlowRunner } from '../node_modules/@jiko-auth/node/dist/createFlowRunner.js'
