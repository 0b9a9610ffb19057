import fs from 'node:fs'
import path from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENSHOT_DIR = path.resolve('tests/e2e/screenshots')

/** Debian's chromium, headless, with its background networking off (this machine has no internet). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}

/** Saves a screenshot of every open page when a journey fails, named after the test. */
export async function screenshotOnFailure(pages: Page[], testName: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const stem = testName.replace(/[^\w-]+/g, '_').slice(0, 80)
  await Promise.all(
    pages.map((p, i) =>
      p.screenshot({ path: path.join(SCREENSHOT_DIR, `${stem}-${i}.png`), fullPage: true }).catch(() => {}),
    ),
  )
}
