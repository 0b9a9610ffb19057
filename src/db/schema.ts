// The schema index: every domain's tables, gathered for drizzle-kit and the typed db handle.
export * from '../batches/batch-schema.ts'
export * from '../codes/key-schema.ts'
export * from '../members/member-schema.ts'
export * from '../points/points-schema.ts'
export * from '../products/product-schema.ts'
export * from '../scans/scan-schema.ts'
export * from '../staff/staff-schema.ts'
