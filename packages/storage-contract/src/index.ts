export { type ContractSubject, describeAuthStoreContract } from './describeAuthStoreContract.js'
export { type RedisServer, startRedisServer } from './startRedisServer.js'
