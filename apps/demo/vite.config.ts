import { defineConfig } from 'vite'
import { machineLayoutPlugin } from './vite/machineLayoutPlugin.js'

export default defineConfig({
  plugins: [machineLayoutPlugin()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
})
