import { BlockList, isIP } from 'node:net'
import { getConnInfo } from '@hono/node-server/conninfo'
import type { Context } from 'hono'

/** The client's address as the socket saw it ('unknown' under app.request() in tests). */
export function clientIp(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * Which peers may tell us the client's address (TRUST_PROXY): nobody (the socket's address is
 * the client), the socket's peer alone (one reverse proxy such as nginx in front), or the peers
 * at these addresses and subnets.
 */
export type TrustProxy = 'none' | 'one-hop' | readonly string[]

/**
 * Reads a TRUST_PROXY value: `0` or empty → 'none', `1` → 'one-hop', otherwise a comma-separated
 * list of addresses or CIDR subnets. `undefined` when the value is none of these.
 *
 * @example
 * parseTrustProxy('127.0.0.1, 10.0.0.0/8') // ['127.0.0.1', '10.0.0.0/8']
 */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const v = value.trim()
  if (v === '' || v === '0') return 'none'
  if (v === '1') return 'one-hop'
  const entries = v.split(',').map((s) => s.trim())
  return entries.every(isAddressOrSubnet) ? entries : undefined
}

function isAddressOrSubnet(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/**
 * The client's address as the trusted proxies report it. A request whose socket peer is not
 * trusted is answered from the socket alone: anyone can send X-Forwarded-For, and believing it
 * would let one guesser spread over as many rate-limit keys as they like. From a trusted peer,
 * X-Forwarded-For is read from the right (each proxy appends the address it saw) and the first
 * entry that is not itself a trusted proxy is the client. X-Real-IP is not read: a proxy that sets
 * one header passes the other through as the client wrote it, so reading both would let a client
 * choose its own rate-limit key (nginx: `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`).
 *
 * @example
 * const ipOf = createClientIp(config.trustProxy)
 * limiter.hit(ipOf(c), now)
 */
export function createClientIp(trust: TrustProxy): (c: Context) => string {
  if (trust === 'none') return clientIp
  const trusted = trust === 'one-hop' ? undefined : blockListOf(trust)
  const isTrusted = (ip: string) => trusted?.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4') ?? false
  return (c) => {
    const peer = clientIp(c)
    if (trusted && (isIP(peer) === 0 || !isTrusted(peer))) return peer
    const forwarded = c.req.header('x-forwarded-for')
    if (forwarded) {
      const hops = forwarded.split(',')
      let nearest = peer
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i]!.trim()
        // A hop that is not an address was not written by a proxy of ours: stop at the last we trust.
        if (isIP(hop) === 0) return nearest
        if (!isTrusted(hop)) return hop
        nearest = hop
      }
      return nearest
    }
    return peer
  }
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/')
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(bits), type)
  }
  return list
}
