import { eq } from 'drizzle-orm'
import { createBatch } from '../../src/batches/batch-store.ts'
import { brandDb } from '../../src/db/brand-scope.ts'
import { batches } from '../../src/db/schema.ts'
import type { TestApp } from './test-app.ts'

/**
 * A batch the size of a factory run, marked minted without writing its rows: the checks under
 * test read only its size, and minting 1.5 million codes would take the test a minute.
 */
export function largeReadyBatch(t: TestApp, brandId: number, productId: number, quantity: number) {
  const created = createBatch(
    brandDb(t.db, brandId),
    t.keyring,
    { staffId: null, label: 'test' },
    { productId, quantity, lot: null, producedOn: null, expiresOn: null, urlMode: 'short' },
    t.clock.now(),
  )
  if (created.kind !== 'created') throw new Error(created.kind)
  t.db
    .update(batches)
    .set({ status: 'ready', mintedCount: quantity })
    .where(eq(batches.id, created.batch.id))
    .run()
  return created.batch
}
