export {
  type ContractCapabilities,
  type ContractSubject,
  describeAuthStoreContract,
} from './describeAuthStoreContract.js'
export { type RedisCluster, type RedisClusterNode, startRedisCluster } from './startRedisCluster.js'
export { type RedisSentinelSetup, startRedisSentinel } from './startRedisSentinel.js'
export { freePort, type RedisServer, startRedisServer } from './startRedisServer.js'
