export { type MemoryStorageOptions, memoryStorage } from './memoryStorage.js'
