import { auth } from '@/lib/auth'

// GET /auth/login, /auth/callback, /auth/session; POST /auth/callback, /auth/refresh, /auth/logout.
export const GET = (request: Request) => auth.handler(request)
export const POST = (request: Request) => auth.handler(request)
