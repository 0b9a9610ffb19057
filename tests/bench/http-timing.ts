import { STAFF_COOKIE } from '../../src/staff/staff-session.ts'

/** Sequential page timings of a server child: median and p95 ms, body size, measured runs. */
export type Timing = { median: number; p95: number; bytes: number; runs: number }

const WARM_UP = 3

export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN
}

/** Signs a staff member in through the real form; returns the session cookie pair. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/admin/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password }),
  })
  const cookie = res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.startsWith(`${STAFF_COOKIE}=`))
  if (res.status !== 303 || !cookie) throw new Error(`sign-in of ${email} answered ${res.status}`)
  return cookie
}

/** Sequential requests (a warm-up first): wall time until the whole body has arrived. */
export async function timeRequests(
  baseUrl: string,
  path: string,
  cookie: string,
  runs: number,
): Promise<Timing> {
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < WARM_UP + runs; i++) {
    const t0 = performance.now()
    const res = await fetch(`${baseUrl}${path}`, { headers: { cookie } })
    const body = await res.arrayBuffer()
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`)
    if (i >= WARM_UP) times.push(ms)
    bytes = body.byteLength
  }
  return { median: percentile(times, 0.5), p95: percentile(times, 0.95), bytes, runs }
}
