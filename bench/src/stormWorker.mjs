// One process of the app for the refresh storm: per stdin line ({ offsetMs, callers, cookies }), that many
// concurrent getAccessToken() spread over the sessions, its clock moved by offsetMs; prints the latencies and the
// CPU time the process spent on them.
import { createInterface } from 'node:readline'
import { createJikoAuth } from '@jiko-auth/node'
import { redisStorage } from '@jiko-auth/storage-redis'

const config = JSON.parse(process.env.WORKER_CONFIG)
const storage = redisStorage({ url: config.redisUrl })
let offsetMs = 0
const clock = { now: () => Date.now() + offsetMs, setTimeout, clearTimeout }
const auth = createJikoAuth({ ...config.options, secret: config.secret, storage, clock })

process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  const round = JSON.parse(line)
  offsetMs = round.offsetMs
  const latencies = []
  const errors = []
  const cpuBefore = process.cpuUsage()
  await Promise.all(
    Array.from({ length: round.callers }, async (_, i) => {
      const cookie = round.cookies[i % round.cookies.length]
      const started = performance.now()
      try {
        await auth.getAccessToken(new Request('http://localhost/api', { headers: { cookie } }))
        latencies.push(performance.now() - started)
      } catch (error) {
        errors.push(error.code ?? String(error))
      }
    }),
  )
  const cpu = process.cpuUsage(cpuBefore)
  process.stdout.write(`${JSON.stringify({ latencies, errors, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`)
}
await storage.close()
