import { randomBytes } from 'node:crypto'
import { loadRegions } from '../../src/channels/region-resolver.ts'
import { runDailyStatsJob } from '../../src/dashboard/daily-stats-job.ts'
import { type Db, openDatabase } from '../../src/db/index.ts'
import { maskIdentifier } from '../../src/members/member-identity.ts'
import { memberPii } from '../../src/members/member-pii.ts'
import { PRIVACY_VERSION, TERMS_VERSION } from '../../src/members/member-store.ts'
import { PROGRAMME_JOBS, runProgrammeJobs } from '../../src/members/programme-jobs.ts'
import { runDailyPointsJobs } from '../../src/points/expiry-job.ts'
import { createBrand } from '../../src/staff/brand-setup.ts'
import { hashPassword } from '../../src/staff/password.ts'
import { type BenchContext, formatCount } from './bench-row.ts'

/**
 * The members bench's database (issue 7, "It must show"): three brands in one file, the big one
 * holding 100,000 members and 900,000 of the 1,000,000 scans, all written with raw prepared
 * statements in transactions of 100,000 rows, in time order as a live system writes them.
 *
 * - members joined over the last 400 days, with real keyed phone hashes and sealed phones
 *   (src/members/member-pii.ts), names, profile regions, birthdays, two consents each and a used
 *   sign-in code at joining;
 * - scans over the last 89.5 days (inside the default location retention, so the server's
 *   retention job has nothing to erase at start): 45 % by signed-in members, 70 % located (88 % of
 *   those in China), 4 % repeats that do not count;
 * - claims by 30 % of the members (a claimer's scan of an unclaimed code claims it 70 % of the
 *   time), each a real double-entry transaction; a sign-in code for every other claim; redemptions
 *   by a fifth of the members with 50 points; tiers, manual tags, distributors and open cases;
 * - then the jobs a running server would have run: points, the member programme (member_activity
 *   and automatic tags, H5b's job) and the dashboard's daily stats.
 */
export type MembersFixture = {
  file: string
  /** The big brand's id. */
  brandId: number
  ownerEmail: string
  password: string
  masterKeyHex: string
  /** A member phone of the big brand, as staff would type it in the search box. */
  searchPhone: string
  counts: { members: number; scans: number; claims: number; codes: number; redemptions: number }
  timings: { buildMs: number; tagsJobMs: number; statsJobMs: number }
}

const DAY_MS = 86_400_000
const SPAN_DAYS = 89.5
const JOIN_SPAN_DAYS = 400
const TX_ROWS = 100_000
const PASSWORD = 'bench members password'

type BrandPlan = {
  slug: string
  members: number
  scans: number
  products: number
  batches: number
  codesPerBatch: number
  anonymousDevices: number
}

/** The big brand first: it is the one the bench signs in to. */
const PLANS: BrandPlan[] = [
  {
    slug: 'bench',
    members: 100_000,
    scans: 900_000,
    products: 12,
    batches: 25,
    codesPerBatch: 40_000,
    anonymousDevices: 300_000,
  },
  {
    slug: 'b2',
    members: 5_000,
    scans: 50_000,
    products: 3,
    batches: 5,
    codesPerBatch: 10_000,
    anonymousDevices: 20_000,
  },
  {
    slug: 'b3',
    members: 5_000,
    scans: 50_000,
    products: 3,
    batches: 5,
    codesPerBatch: 10_000,
    anonymousDevices: 20_000,
  },
]

const MEMBER_SCAN_SHARE = 0.45
const CLAIMER_SHARE = 0.3
const CLAIM_CHANCE = 0.7
const LOCATED_SHARE = 0.7
const CHINA_SHARE = 0.88
const REPEAT_SHARE = 0.04
const REDEEM_PRICE = 50
const CATEGORIES = ['Green tea', 'Oolong', 'Black tea', 'Gifts']
const COUNTRIES = ['US', 'JP', 'KR', 'SG', 'MY', 'GB', 'DE', 'AU', 'CA', 'TH']
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周']
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰']

/** A fixed-seed generator (mulberry32): every run builds the same data. */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type BuiltBrand = {
  id: number
  plan: BrandPlan
  index: number
  /** Members' ids in joining order, their join times, and whether they claim. */
  memberIds: Int32Array
  joinedAt: Float64Array
  /** Per batch: first code id, activated count, and a popularity weight (cumulative). */
  batchFirstCode: number[]
  batchActivated: number[]
  batchProduct: number[]
  batchCumWeight: number[]
  balance: Int32Array
  firstClaimAt: Float64Array
}

export async function buildMembersDatabase(ctx: BenchContext, file: string): Promise<MembersFixture> {
  const started = performance.now()
  const master = randomBytes(32)
  const pii = memberPii(new Uint8Array(master))
  const db: Db = openDatabase(file)
  const c = db.$client
  const now = Date.now()
  const random = seeded(2026)
  const passwordHash = await hashPassword(PASSWORD)
  const provinces = loadRegions()
    .filter((r) => r.kind === 'province' && r.code.startsWith('CN-'))
    .map((r) => r.code)
  // A few provinces carry most scans, as in any real market.
  const province = () => provinces[Math.floor(provinces.length * random() ** 2.5)]!

  const brands: BuiltBrand[] = []
  let codeCount = 0
  let memberCount = 0
  let nextCodeId = 1
  const insertCode = c.prepare(
    `INSERT INTO codes (id, brand_id, batch_id, seq, serial, kid, tag, state, activated_at, distributor_id)
     VALUES (?, ?, ?, ?, ?, 'BN', 'TAGTAGTAGTAG', ?, ?, ?)`,
  )
  for (const [index, plan] of PLANS.entries()) {
    const brand = createBrand(
      db,
      master,
      {
        slug: plan.slug,
        name: `Bench ${plan.slug}`,
        ownerEmail: `owner@${plan.slug}.bench`,
        ownerName: 'Owner',
        passwordHash,
      },
      now - (JOIN_SPAN_DAYS + 10) * DAY_MS,
    )
    if (brand.kind !== 'created') throw new Error(`bench brand ${plan.slug}: ${brand.kind}`)
    const brandId = brand.brandId
    const created = now - (JOIN_SPAN_DAYS + 5) * DAY_MS
    const batchFirstCode: number[] = []
    const batchActivated: number[] = []
    const batchProduct: number[] = []
    const batchCumWeight: number[] = []
    c.transaction(() => {
      const insertProduct = c.prepare(
        `INSERT INTO products (brand_id, sku, name, category, points, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      )
      const insertBatch = c.prepare(
        `INSERT INTO batches (brand_id, product_id, lot, quantity, url_mode, kid, status, minted_count, created_at, finished_at)
         VALUES (?, ?, ?, ?, 'short', 'BN', 'ready', ?, ?, ?) RETURNING id`,
      )
      const insertDistributor = c.prepare(
        "INSERT INTO distributors (brand_id, code, name, status, created_at) VALUES (?, ?, ?, 'active', ?) RETURNING id",
      )
      const distributors = Array.from(
        { length: 10 },
        (_, d) =>
          (
            insertDistributor.get(brandId, `D-${d + 1}`, `Distributor ${d + 1}`, created) as {
              id: number
            }
          ).id,
      )
      const productIds = Array.from(
        { length: plan.products },
        (_, p) =>
          (
            insertProduct.get(
              brandId,
              `SKU-${p + 1}`,
              `${CATEGORIES[p % CATEGORIES.length]} ${p + 1}`,
              CATEGORIES[p % CATEGORIES.length],
              10 + (p % 4) * 5,
              created,
              created,
            ) as { id: number }
          ).id,
      )
      let cum = 0
      for (let b = 0; b < plan.batches; b++) {
        const productId = productIds[b % productIds.length]!
        const batchId = (
          insertBatch.get(
            brandId,
            productId,
            `L${b + 1}`,
            plan.codesPerBatch,
            plan.codesPerBatch,
            created,
            created,
          ) as {
            id: number
          }
        ).id
        // The newest two batches are half shipped.
        const activated = b >= plan.batches - 2 ? plan.codesPerBatch / 2 : plan.codesPerBatch
        batchFirstCode.push(nextCodeId)
        batchActivated.push(activated)
        batchProduct.push(productId)
        cum += 1 / (1 + b * 0.15)
        batchCumWeight.push(cum)
        const distributorId = distributors[b % distributors.length]!
        for (let seq = 1; seq <= plan.codesPerBatch; seq++) {
          const on = seq <= activated
          insertCode.run(
            nextCodeId++,
            brandId,
            batchId,
            seq,
            `${plan.slug.toUpperCase()}${String(batchId).padStart(3, '0')}${String(seq).padStart(8, '0')}`,
            on ? 'activated' : 'exported',
            on ? created : null,
            on ? distributorId : null,
          )
        }
      }
      const insertCase = c.prepare(
        `INSERT INTO diversion_cases (brand_id, distributor_id, product_id, region_code, status, signal_count,
           max_confidence, first_at, last_at) VALUES (?, ?, ?, ?, 'open', 3, 0.8, ?, ?)`,
      )
      for (let k = 0; k < 20; k++)
        insertCase.run(
          brandId,
          distributors[k % distributors.length],
          productIds[k % productIds.length],
          provinces[k],
          now - k * DAY_MS,
          now,
        )
      c.prepare(
        'INSERT INTO tiers (brand_id, name, threshold, multiplier_pct) VALUES (?, ?, 100, 100), (?, ?, 300, 120)',
      ).run(brandId, 'Silver', brandId, 'Gold')
    })()
    codeCount += plan.batches * plan.codesPerBatch

    // Members, in joining order.
    const memberIds = new Int32Array(plan.members)
    const joinedAt = new Float64Array(plan.members)
    const insertMember = c.prepare(
      `INSERT INTO members (brand_id, phone_hash, phone_enc, phone_hint, name, birthday, gender, region_code, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    const insertConsent = c.prepare(
      'INSERT INTO member_consents (brand_id, member_id, kind, version, granted, at) VALUES (?, ?, ?, ?, 1, ?)',
    )
    const insertOtp = c.prepare(
      `INSERT INTO otp_challenges (brand_id, channel, identifier, code_hash, expires_at, attempts, used_at, created_at)
       VALUES (?, 'sms', ?, 'bench', ?, 0, ?, ?)`,
    )
    c.transaction(() => {
      for (let i = 0; i < plan.members; i++) {
        const at =
          now -
          JOIN_SPAN_DAYS * DAY_MS +
          Math.floor(((i + random()) / plan.members) * JOIN_SPAN_DAYS * DAY_MS)
        const phone = phoneOf(index, i)
        const hash = pii.lookupHash(brandId, phone)
        const named = random() < 0.6
        const id = Number(
          insertMember.run(
            brandId,
            hash,
            pii.seal(phone),
            maskIdentifier(phone),
            named ? `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}${i % 97}` : null,
            random() < 0.4
              ? `19${70 + (i % 30)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`
              : null,
            random() < 0.5 ? (i % 2 === 0 ? 'female' : 'male') : null,
            random() < 0.5 ? province() : null,
            at,
          ).lastInsertRowid,
        )
        memberIds[i] = id
        joinedAt[i] = at
        insertConsent.run(brandId, id, 'terms', TERMS_VERSION, at)
        insertConsent.run(brandId, id, 'privacy', PRIVACY_VERSION, at)
        insertOtp.run(brandId, hash, at - 60_000 + 600_000, at, at - 60_000)
      }
    })()
    memberCount += plan.members
    brands.push({
      id: brandId,
      plan,
      index,
      memberIds,
      joinedAt,
      batchFirstCode,
      batchActivated,
      batchProduct,
      batchCumWeight,
      balance: new Int32Array(plan.members),
      firstClaimAt: new Float64Array(plan.members),
    })
  }
  ctx.log(`members: ${formatCount(codeCount)} codes and ${formatCount(memberCount)} members written`)

  // The scan stream, all brands interleaved in time order.
  const totalScans = PLANS.reduce((s, p) => s + p.scans, 0)
  const brandCum: number[] = []
  for (const p of PLANS) brandCum.push((brandCum.at(-1) ?? 0) + p.scans / totalScans)
  const claimed = new Uint8Array(nextCodeId)
  const pointsOf = new Map<number, number>()
  for (const row of c
    .prepare('SELECT b.id, p.points FROM batches b JOIN products p ON p.id = b.product_id')
    .all() as {
    id: number
    points: number
  }[])
    pointsOf.set(row.id, row.points)
  const batchIdOf = c.prepare('SELECT batch_id FROM codes WHERE id = ?').pluck(true)
  const insertScan = c.prepare(
    `INSERT INTO scans (brand_id, code_id, device_id, ip_prefix, user_agent, member_id, verdict, counted, lat, lon,
       accuracy_m, location_source, located_at, region_code, place_zh, place_en, at)
     VALUES (?, ?, ?, '203.0.113.0/24', 'bench', ?, 'genuine-seen', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertTx = c.prepare(
    'INSERT INTO ledger_transactions (brand_id, kind, memo, created_at) VALUES (?, ?, ?, ?)',
  )
  const insertEntry = c.prepare(
    'INSERT INTO ledger_entries (tx_id, brand_id, account, member_id, amount, expires_at, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)',
  )
  const insertClaim = c.prepare(
    'INSERT INTO claims (brand_id, code_id, member_id, tx_id, points, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const markClaimed = c.prepare("UPDATE codes SET state = 'claimed', claimed_at = ? WHERE id = ?")
  const insertOtp = c.prepare(
    `INSERT INTO otp_challenges (brand_id, channel, identifier, code_hash, expires_at, attempts, used_at, created_at)
     VALUES (?, 'sms', ?, 'bench', ?, 0, ?, ?)`,
  )
  const start = now - SPAN_DAYS * DAY_MS
  let claims = 0
  for (let from = 0; from < totalScans; from += TX_ROWS) {
    c.transaction(() => {
      for (let i = from; i < Math.min(totalScans, from + TX_ROWS); i++) {
        const at = start + Math.floor((i / totalScans) * SPAN_DAYS * DAY_MS)
        const rb = random()
        const b = brands[brandCum.findIndex((x) => rb < x)] ?? brands[0]!
        const rw = random() * b.batchCumWeight.at(-1)!
        const batch = b.batchCumWeight.findIndex((x) => rw < x)
        const codeId = b.batchFirstCode[batch]! + Math.floor(random() * b.batchActivated[batch]!)
        // Members who have joined by now: ids are in joining order.
        let joined = 0
        for (let lo = 0, hi = b.plan.members; lo < hi; ) {
          const mid = (lo + hi) >>> 1
          if (b.joinedAt[mid]! <= at) lo = joined = mid + 1
          else hi = mid
        }
        const byMember = joined > 0 && random() < MEMBER_SCAN_SHARE
        const m = byMember ? Math.floor(random() * joined) : -1
        const memberId = m >= 0 ? b.memberIds[m]! : null
        const device =
          m >= 0 ? `m${b.index}-${m}` : `a${b.index}-${Math.floor(random() * b.plan.anonymousDevices)}`
        const located = random() < LOCATED_SHARE
        const region = located
          ? random() < CHINA_SHARE
            ? province()
            : COUNTRIES[Math.floor(random() * COUNTRIES.length)]!
          : null
        insertScan.run(
          b.id,
          codeId,
          device,
          memberId,
          random() < REPEAT_SHARE ? 0 : 1,
          located ? 30 : null,
          located ? 115 : null,
          located ? 30 : null,
          located ? 'gps' : null,
          located ? at : null,
          region,
          located ? '省' : null,
          located ? 'Province' : null,
          at,
        )
        if (m < 0 || claimed[codeId] || m % 10 >= CLAIMER_SHARE * 10 || random() >= CLAIM_CHANCE) continue
        const points = pointsOf.get(batchIdOf.get(codeId) as number) ?? 10
        const claimAt = at + 30_000
        const tx = Number(insertTx.run(b.id, 'claim', 'claim', claimAt).lastInsertRowid)
        insertEntry.run(tx, b.id, 'member', memberId, points, claimAt)
        insertEntry.run(tx, b.id, 'brand:issued', null, -points, claimAt)
        insertClaim.run(b.id, codeId, memberId, tx, points, `bench-${codeId}`, claimAt)
        markClaimed.run(claimAt, codeId)
        claimed[codeId] = 1
        b.balance[m]! += points
        if (!b.firstClaimAt[m]) b.firstClaimAt[m] = claimAt
        if (claims % 2 === 0) {
          const hash = pii.lookupHash(b.id, phoneOf(b.index, m))
          insertOtp.run(b.id, hash, at - 120_000 + 600_000, at - 60_000, at - 120_000)
        }
        claims++
      }
    })()
    ctx.log(`members: ${formatCount(Math.min(totalScans, from + TX_ROWS))} scans written`)
  }

  // Redemptions, tiers and manual tags.
  let redemptions = 0
  c.transaction(() => {
    const insertReward = c.prepare(
      `INSERT INTO rewards (brand_id, name, points_price, active, created_at) VALUES (?, 'Tea cup', ?, 1, ?) RETURNING id`,
    )
    const insertRedemption = c.prepare(
      `INSERT INTO redemptions (brand_id, reward_id, member_id, tx_id, reward_code, points, status, idempotency_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'issued', ?, ?)`,
    )
    const insertMemberTier = c.prepare(
      'INSERT INTO member_tiers (member_id, brand_id, tier_id, since) VALUES (?, ?, (SELECT id FROM tiers WHERE brand_id = ? AND name = ?), ?)',
    )
    const insertTag = c.prepare(
      "INSERT INTO member_tags (member_id, brand_id, tag, source, reason, created_at) VALUES (?, ?, ?, 'manual', 'added by staff', ?)",
    )
    for (const b of brands) {
      const rewardId = (insertReward.get(b.id, REDEEM_PRICE, start) as { id: number }).id
      for (let m = 0; m < b.plan.members; m++) {
        const memberId = b.memberIds[m]!
        const balance = b.balance[m]!
        if (balance >= REDEEM_PRICE && random() < 0.2) {
          const at = b.firstClaimAt[m]! + Math.floor(random() * (now - b.firstClaimAt[m]!))
          const tx = Number(insertTx.run(b.id, 'redemption', 'redemption', at).lastInsertRowid)
          insertEntry.run(tx, b.id, 'member', memberId, -REDEEM_PRICE, at)
          insertEntry.run(tx, b.id, 'brand:redeemed', null, REDEEM_PRICE, at)
          insertRedemption.run(
            b.id,
            rewardId,
            memberId,
            tx,
            `R${b.index}-${m}`,
            REDEEM_PRICE,
            `redeem-${b.index}-${m}`,
            at,
          )
          redemptions++
        }
        if (balance >= 100)
          insertMemberTier.run(memberId, b.id, b.id, balance >= 300 ? 'Gold' : 'Silver', now)
        if (m % 50 === 7) insertTag.run(memberId, b.id, 'vip', now)
        if (m % 200 === 11) insertTag.run(memberId, b.id, '团购', now)
      }
    }
  })()
  ctx.log(
    `members: ${formatCount(totalScans)} scans, ${formatCount(claims)} claims, ${formatCount(redemptions)} redemptions`,
  )

  // What a running server would have done by now: the points jobs, the programme jobs (member
  // activity and automatic tags) and the dashboard's roll-up.
  runDailyPointsJobs(db, now)
  const tagsStarted = performance.now()
  for (const b of brands) {
    const outcome = await runProgrammeJobs(db, b.id, { jobs: PROGRAMME_JOBS, now, trigger: 'cli' })
    if (outcome.kind !== 'ran') throw new Error(`programme jobs of ${b.plan.slug}: ${outcome.kind}`)
  }
  const tagsJobMs = performance.now() - tagsStarted
  ctx.log(`members: programme jobs (activity + tags) in ${(tagsJobMs / 1000).toFixed(1)} s`)
  const statsStarted = performance.now()
  await runDailyStatsJob(db, now, () => Promise.resolve())
  const statsJobMs = performance.now() - statsStarted
  ctx.log(`members: dashboard daily stats (90 days, 3 brands) in ${(statsJobMs / 1000).toFixed(1)} s`)
  c.pragma('wal_checkpoint(TRUNCATE)')
  c.close()
  const buildMs = performance.now() - started
  return {
    file,
    brandId: brands[0]!.id,
    ownerEmail: `owner@${PLANS[0]!.slug}.bench`,
    password: PASSWORD,
    masterKeyHex: master.toString('hex'),
    searchPhone: phoneOf(0, 4_321).replace(/^\+86(\d{3})(\d{4})(\d{4})$/, '$1 $2 $3'),
    counts: { members: memberCount, scans: totalScans, claims, codes: codeCount, redemptions },
    timings: { buildMs, tagsJobMs, statsJobMs },
  }
}

/** A valid mainland mobile number per brand and member: +86 13<brand><8 digits>. */
function phoneOf(brandIndex: number, member: number): string {
  return `+8613${brandIndex}${String(member).padStart(8, '0')}`
}
