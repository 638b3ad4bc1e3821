export { type RedisStorageOptions, redisStorage } from './redisStorage.js'
