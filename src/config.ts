import path from 'node:path'
import { z } from 'zod'
import { type SenderFromEnv, senderFromEnv } from './members/senders/sender-config.ts'
import { parseTrustProxy, type TrustProxy } from './request-ip.ts'

/**
 * Sign-in codes one brand may send in an hour, whoever asks. Above a big brand's busiest hour, so
 * that only a flood reaches it (an estimate: 100k members on 30-day sessions who sign in about
 * monthly make ~150 an hour, a few hundred at a campaign's peak); at ~¥0.05 a domestic text it
 * bounds the bill to ~¥1,200 a brand a day.
 */
export const DEFAULT_CODE_SENDS_PER_BRAND_PER_HOUR = 1000

/**
 * Everything the process reads from its environment, parsed once. Only this file reads `process.env`.
 *
 * @example
 * const config = loadConfig(process.env)
 * serve({ fetch: app.fetch, port: config.port, hostname: config.host })
 */
const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    PUBLIC_BASE_URL: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://oc.example.com' })
      .optional(),
    ONECODE_MASTER_KEY: z.string().optional(),
    SEED_DEMO: z.enum(['0', '1']).default('1'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    COOKIE_SECURE: z.enum(['0', '1']).optional(),
    LOCATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    CODE_SENDS_PER_BRAND_PER_HOUR: z.coerce
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_CODE_SENDS_PER_BRAND_PER_HOUR),
    IP_LOCATIONS_FILE: z.string().optional(),
    TRUST_PROXY: z
      .string()
      .default('0')
      .refine((v) => parseTrustProxy(v) !== undefined, {
        message:
          'must be 0, 1 (one reverse proxy in front) or a comma-separated list of proxy addresses/subnets',
      }),
  })
  .loose()

export type Config = {
  port: number
  host: string
  dataDir: string
  databaseFile: string
  masterKeyFile: string
  masterKeyEnv: string | undefined
  publicBaseUrl: string
  /** PUBLIC_BASE_URL was unset, so `publicBaseUrl` is the localhost default no phone can open. */
  publicBaseUrlIsDefault: boolean
  seedDemo: boolean
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL']
  cookieSecure: boolean
  locationRetentionMs: number
  /** IP_LOCATIONS_FILE: the offline IP ranges scans are located by without consent (src/scans/ip-locations.ts). */
  ipLocationsFile: string | undefined
  /** Whose X-Forwarded-For names the client (src/request-ip.ts); 'none' = the socket's address. */
  trustProxy: TrustProxy
  /** The sign-in codes each brand may send per hour (src/members/member-routes.tsx). */
  codeSendsPerBrandPerHour: number
  /** Builds the one-time-code sender; `undefined` means the development outbox (the default). */
  codeSender: ((log: (line: string) => void) => SenderFromEnv) | undefined
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const mode = env.CODE_SENDER ?? 'outbox'
  // Sender variables are checked now, so a bad SMTP or SMS setting stops the start with the rest.
  const probe = senderFromEnv(env, { record: () => {}, log: () => {} })
  if (probe.kind === 'invalid') throw new ConfigError(probe.error)
  const dataDir = path.resolve(e.DATA_DIR)
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '')
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseFile: path.join(dataDir, 'onecode.db'),
    masterKeyFile: path.join(dataDir, 'master.key'),
    masterKeyEnv: e.ONECODE_MASTER_KEY,
    publicBaseUrl,
    publicBaseUrlIsDefault: e.PUBLIC_BASE_URL === undefined,
    seedDemo: e.SEED_DEMO === '1',
    logLevel: e.LOG_LEVEL,
    cookieSecure: e.COOKIE_SECURE ? e.COOKIE_SECURE === '1' : publicBaseUrl.startsWith('https:'),
    locationRetentionMs: e.LOCATION_RETENTION_DAYS * 24 * 3_600_000,
    ipLocationsFile: e.IP_LOCATIONS_FILE?.trim() ? path.resolve(e.IP_LOCATIONS_FILE.trim()) : undefined,
    trustProxy: parseTrustProxy(e.TRUST_PROXY) ?? 'none',
    codeSendsPerBrandPerHour: e.CODE_SENDS_PER_BRAND_PER_HOUR,
    codeSender: mode === 'outbox' ? undefined : (log) => senderFromEnv(env, { record: () => {}, log }),
  }
}
