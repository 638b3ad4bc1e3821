export { type ContractSubject, describeAuthStoreContract } from './describeAuthStoreContract.js'
export { freePort, type RedisServer, startRedisServer } from './startRedisServer.js'
