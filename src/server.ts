import { serve } from '@hono/node-server'
import { createApp } from './app.tsx'
import { createMintRunner } from './batches/mint-runner.ts'
import { systemClock } from './clock.ts'
import { baseUrlTooLong } from './codes/code-url.ts'
import { ConfigError, loadConfig } from './config.ts'
import { runDailyStatsJob } from './dashboard/daily-stats-job.ts'
import { optimizeDatabase } from './db/index.ts'
import { startWalCheckpointer } from './db/wal-checkpointer.ts'
import { encryptLegacyContacts } from './members/contact-backfill.ts'
import { memberPii } from './members/member-pii.ts'
import { createProgrammeScheduler } from './members/programme-jobs.ts'
import { runDailyPointsJobs } from './points/expiry-job.ts'
import { openRuntime } from './runtime.ts'
import { loadIpLocations } from './scans/ip-locations.ts'
import { erasePreciseLocations } from './scans/scan-store.ts'
import { seedDemo } from './seed-demo.ts'
import { hasAnyBrand } from './staff/brand-setup.ts'

const SHUTDOWN_GRACE_MS = 10_000
const RETENTION_JOB_INTERVAL_MS = 3_600_000

/** Why the server cannot listen, for the errors a setting causes. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (another onecode, or another program); set PORT to a free one',
  EACCES:
    'this user may not listen on that port (ports below 1024 need privileges); set PORT to 1024 or above',
  EADDRNOTAVAIL: 'this machine has no such address; set HOST to one of its addresses, or 0.0.0.0',
}

async function main() {
  const config = loadConfig(process.env)
  // Read (and checked) before anything else starts: a bad file stops the start as a setting does.
  const ipStarted = Date.now()
  const ipLocations = config.ipLocationsFile ? await loadIpLocations(config.ipLocationsFile) : undefined
  const { logger, db, masterKey, keyring } = openRuntime(config)
  if (ipLocations)
    logger.info(
      { file: config.ipLocationsFile, ...ipLocations.size, ms: Date.now() - ipStarted },
      'IP locations loaded: scans without a shared location are located by IP (low confidence)',
    )
  const longUrl = baseUrlTooLong(config.publicBaseUrl)
  if (longUrl) logger.warn({ publicBaseUrl: config.publicBaseUrl }, longUrl)
  if (config.publicBaseUrlIsDefault)
    logger.warn(
      `PUBLIC_BASE_URL is not set: code URLs, print files and printer links start with ${config.publicBaseUrl}, which no phone can open; set it to the server's public address before printing real labels`,
    )
  // Contacts written before they were encrypted (issue 7) are sealed and hashed before serving.
  const contacts = encryptLegacyContacts(db, memberPii(masterKey))
  if (contacts.members > 0 || contacts.challenges > 0)
    logger.info(
      { members: contacts.members, challenges: contacts.challenges },
      'encrypted legacy member contacts',
    )
  if (contacts.duplicates.length > 0)
    logger.warn(
      { memberIds: contacts.duplicates },
      'members share a phone or email with an earlier member: merge them in the console',
    )
  // Commits on the request thread only append to the WAL; a background thread copies it back.
  const checkpointer = startWalCheckpointer(db, config.databaseFile, (m) => logger.warn(m))
  const clock = systemClock
  if (config.seedDemo) {
    const demo = await seedDemo(db, masterKey, keyring, clock.now())
    if (demo) {
      // Printed once, on the start that created the demo brand; only its hash is stored.
      process.stdout.write(
        `\n  Demo brand created. Admin sign-in: ${config.publicBaseUrl}/admin/sign-in\n  email:    ${demo.email}\n  password: ${demo.password}\n  Channel manager (sees distributor SC-001 only):\n  email:    ${demo.manager.email}\n  password: ${demo.manager.password}\n  (shown only this once)\n\n`,
      )
    }
  }
  if (!hasAnyBrand(db))
    process.stdout.write(
      `\n  No brand yet. Create the first one and its owner's sign-in with:\n  npx onecode-codegen brand create --slug SLUG --name NAME --owner-email EMAIL\n\n`,
    )
  const mintRunner = createMintRunner({ db, keyring, clock, logger })
  mintRunner.resumeUnfinished()
  // The retention job: precise scan coordinates older than LOCATION_RETENTION_DAYS are erased.
  // The hourly jobs: precise locations past retention are erased; points expire and tiers are
  // reviewed (each once per China day / month, recorded in job_runs, so running hourly is safe).
  // The member-programme jobs (tags, birthday bonus, churn warnings) run once per China day and
  // brand (job_runs), one chunk of members per event-loop turn, beside the requests.
  const programme = createProgrammeScheduler({ db, clock, logger })
  const retention = () => {
    programme.runDue()
    const erased = erasePreciseLocations(db, clock.now(), config.locationRetentionMs)
    if (erased > 0) logger.info({ erased }, 'erased precise locations past retention')
    const points = runDailyPointsJobs(db, clock.now())
    for (const b of points.brands) {
      if (b.expiry.kind === 'ran' || b.review.kind === 'reviewed')
        logger.info({ day: points.day, ...b }, 'points jobs ran')
    }
    // The planner's statistics follow the data as it grows (cheap when little changed).
    optimizeDatabase(db)
  }
  // The dashboard's roll-up of finished days (catching up after downtime) and its scan rates: it
  // yields between days and batches, so it runs beside the requests; one run at a time.
  let dashboardRunning = false
  let dashboardStopped = false
  const dashboardStats = () => {
    if (dashboardRunning) return
    dashboardRunning = true
    runDailyStatsJob(db, clock.now(), undefined, () => dashboardStopped)
      .then((stats) => {
        for (const b of stats.brands) {
          if (b.days.length > 0 || b.batchesRecounted > 0) logger.info(b, 'dashboard stats rolled up')
        }
      })
      .catch((err) => logger.error({ err }, 'dashboard stats job failed'))
      .finally(() => {
        dashboardRunning = false
      })
  }
  retention()
  dashboardStats()
  const dashboardTimer = setInterval(dashboardStats, RETENTION_JOB_INTERVAL_MS)
  dashboardTimer.unref()
  const retentionTimer = setInterval(retention, RETENTION_JOB_INTERVAL_MS)
  retentionTimer.unref()
  const built = config.codeSender?.((line) => logger.info(line))
  const codeSender = built?.kind === 'ok' ? built.sender : undefined
  if (built?.kind === 'ok') logger.info(built.summary)
  const app = createApp({
    db,
    config,
    clock,
    keyring,
    masterKey,
    logger,
    mintRunner,
    codeSender,
    ipLocations,
  })
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info(
      { port: info.port, host: config.host, dataDir: config.dataDir },
      `onecode listening on ${config.publicBaseUrl}`,
    )
  })
  // A taken or forbidden port is the user's setting, not our crash: one line, no stack.
  server.once('error', (err: NodeJS.ErrnoException) => {
    const reason = LISTEN_ERRORS[err.code ?? '']
    process.stderr.write(
      reason
        ? `onecode cannot listen on ${config.host}:${config.port}: ${reason}\n`
        : `onecode failed to start: ${err.stack ?? err.message}\n`,
    )
    process.exit(1)
  })

  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight')
    mintRunner.stop()
    programme.stop()
    clearInterval(retentionTimer)
    clearInterval(dashboardTimer)
    dashboardStopped = true
    const force = setTimeout(() => {
      logger.warn('requests still in flight after the grace period; closing anyway')
      db.$client.close()
      process.exit(1)
    }, SHUTDOWN_GRACE_MS)
    force.unref()
    server.close(() => {
      void checkpointer.stop().finally(() => {
        db.$client.close()
        logger.info('stopped')
        process.exit(0)
      })
    })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(2)
  }
  process.stderr.write(`onecode failed to start: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
