import type { Db } from '../db/index.ts'
import { preparedPerConnection } from '../db/prepared.ts'
import { type ClaimInput, type ClaimOutcome, claimCode } from '../points/claim-store.ts'
import { checkBulkClaim } from './bulk-claim-check.ts'
import type { CaseStatus } from './channel-schema.ts'
import { diversionSettingsOf } from './diversion-settings.ts'
import { holdClaim } from './held-claims.ts'

/**
 * Off-region evidence below this confidence never costs a consumer points: an IP location (0.3 at
 * most) or a GPS fix whose accuracy circle reaches about as far as the border cannot hold or
 * refuse a claim (see locationConfidence in diversion-check.ts).
 */
export const POLICY_MIN_CONFIDENCE = 0.5

const statementsFor = preparedPerConnection((c) => ({
  /** Runs `work` in one transaction (a savepoint inside another); wrapped once, as wrapping costs. */
  inOneTransaction: c.transaction((work: () => ClaimOutcome) => work()),
  // diversion_signals_code_idx: a code has a handful of signals at most.
  evidence: c.prepare<[number, number, number], { caseId: number; status: CaseStatus }>(`
    SELECT g.case_id AS caseId, k.status
    FROM diversion_signals g JOIN diversion_cases k ON k.id = g.case_id
    WHERE g.code_id = ? AND g.brand_id = ? AND g.kind = 'off-region' AND g.confidence >= ?
      AND k.status <> 'dismissed'
    ORDER BY k.status = 'confirmed' DESC, g.at DESC
    LIMIT 1`),
}))

/**
 * The evidence that a code's item is diverted: an off-region signal of the code, confident enough
 * (POLICY_MIN_CONFIDENCE), in a case that is open or confirmed. It is judged per code, not per
 * scan: the item is where it was seen, and a rescan without sharing the location must not turn a
 * diverted item into an eligible one; a dismissed case clears its signals.
 */
export function divertedEvidence(
  db: Db,
  brandId: number,
  codeId: number,
): { caseId: number; status: CaseStatus } | undefined {
  return statementsFor(db).evidence.get(codeId, brandId, POLICY_MIN_CONFIDENCE)
}

/**
 * A claim under the brand's policy for diverted goods (channel_settings.diverted_policy):
 * - `award` (the default): the normal claim; no extra query beyond reading the policy;
 * - `refuse`: a code with diverted evidence earns nothing (`refused-diverted`), and stays unclaimed;
 * - `hold`: the claim is recorded as held under the evidence's open case, no points yet; the
 *   manager's decision settles it (settleHeldClaims). While held nobody can claim the code. If the
 *   case is already confirmed there is nothing left to review: the claim is refused.
 * The policy is applied inside the claim's transaction, after every ordinary check (state, points,
 * caps), so a held or refused answer never hides an ordinary one (already claimed, voided, …).
 *
 * @example
 * claimUnderPolicy(db, { brandId, codeId, memberId, idempotencyKey: form.key, now, scanId })
 */
export function claimUnderPolicy(db: Db, input: ClaimInput & { scanId: number }): ClaimOutcome {
  const { divertedPolicy } = diversionSettingsOf(db, input.brandId)
  if (divertedPolicy === 'award') return claimCode(db, input)
  const { scanId, ...claim } = input
  return claimCode(db, {
    ...claim,
    beforeAward: () => {
      const evidence = divertedEvidence(db, input.brandId, input.codeId)
      if (!evidence) return undefined
      if (divertedPolicy === 'refuse' || evidence.status === 'confirmed') return { kind: 'refused-diverted' }
      holdClaim(db, { ...claim, scanId, caseId: evidence.caseId })
      return { kind: 'held', byYou: true, at: input.now }
    },
  })
}

/**
 * A claim made from the scan page: the brand's policy decides inside the claim (claimUnderPolicy),
 * and a new award is checked for bulk claiming (checkBulkClaim) in the same transaction, so a
 * signal costs no commit of its own. A failing check is handed to `onCheckError` and never
 * undoes or blocks the award: its writes roll back to their own savepoint.
 *
 * @example
 * claimFromScan(db, { brandId, codeId, memberId, idempotencyKey, now, scanId, deviceId }, (err) => log.error({ err }))
 */
export function claimFromScan(
  db: Db,
  input: ClaimInput & { scanId: number; deviceId: string },
  onCheckError: (err: unknown) => void,
): ClaimOutcome {
  const { deviceId, ...claim } = input
  return statementsFor(db).inOneTransaction(() => {
    const outcome = claimUnderPolicy(db, claim)
    if (outcome.kind === 'claimed' && !outcome.replay) {
      try {
        checkBulkClaim(db, { ...claim, deviceId })
      } catch (err) {
        onCheckError(err)
      }
    }
    return outcome
  })
}
