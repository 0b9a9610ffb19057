import { Hono } from 'hono'
import type { AppDeps, AppEnv } from '../app-deps.ts'
import { createChannelSettingsRoutes } from './channel-settings-routes.tsx'
import { createDistributorRoutes } from './distributor-routes.tsx'
import { createRegionRoutes } from './region-routes.tsx'
import { createShipmentRoutes } from './shipment-routes.tsx'

/** Distributors, sales regions, brand regions, manager assignments, warehouse-out shipments and channel settings (issue 5). */
export function createChannelAdminRoutes(deps: AppDeps) {
  return new Hono<AppEnv>()
    .route('/', createDistributorRoutes(deps))
    .route('/', createRegionRoutes(deps))
    .route('/', createShipmentRoutes(deps))
    .route('/', createChannelSettingsRoutes(deps))
}
