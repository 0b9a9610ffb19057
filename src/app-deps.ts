import type { Logger } from 'pino'
import type { MintRunner } from './batches/mint-runner.ts'
import type { RegionResolver } from './channels/region-resolver.ts'
import type { Clock } from './clock.ts'
import type { Keyring } from './codes/keyring.ts'
import type { Config } from './config.ts'
import type { BrandDb } from './db/brand-scope.ts'
import type { Db } from './db/index.ts'
import type { CodeSender } from './members/senders/code-sender.ts'
import type { IpLocations } from './scans/ip-locations.ts'
import type { PlaceResolver } from './scans/scan-store.ts'
import type { StaffRole } from './staff/staff-schema.ts'

/** Everything a route needs, built once by server.ts (or a test) and passed in. */
export type AppDeps = {
  db: Db
  /**
   * trustProxy: who may name the client's address (TRUST_PROXY); the socket's peer alone when absent.
   * publicBaseUrlIsDefault: PUBLIC_BASE_URL was unset; the console then warns where print files are made.
   */
  config: Pick<Config, 'publicBaseUrl' | 'cookieSecure'> &
    Partial<Pick<Config, 'trustProxy' | 'codeSendsPerBrandPerHour' | 'publicBaseUrlIsDefault'>>
  clock: Clock
  keyring: Keyring
  masterKey: Uint8Array
  logger: Logger
  mintRunner: MintRunner
  /** IP_LOCATIONS_FILE as loaded at start: scans are located by IP without consent; none when unset. */
  ipLocations?: IpLocations
  /** Offline place lookup for scans; defaults to the shipped region data. */
  places?: Places
  /** Sends sign-in codes; without one they go to the development outbox (log + console). */
  codeSender?: CodeSender
  /** Re-reads signing keys made by another process (throttled); createApp provides it. */
  refreshKeys?: () => boolean
}

export type Places = {
  resolvePlace: PlaceResolver
  distanceKm: (a: { lat: number; lon: number }, b: { lat: number; lon: number }) => number
  /** The region resolver the diversion checks measure sales regions with; defaults to the shipped one. */
  regionResolver?: () => RegionResolver
}

export type SignedInStaff = {
  staffId: number
  brandId: number
  brandName: string
  brandSlug: string
  email: string
  name: string
  role: StaffRole
  sessionVersion: number
  csrfToken: string
  bdb: BrandDb
}

export type AppEnv = { Variables: { requestId: string; staff: SignedInStaff } }
