import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const htmxPackage = require('htmx.org/package.json') as { version: string }

/** htmx is served from our own origin with its version in the file name (cached for a year). */
export const HTMX_VERSION = htmxPackage.version
export const HTMX_PATH = `/static/htmx-${HTMX_VERSION}.min.js`
export const HTMX_FILE = require.resolve('htmx.org/dist/htmx.min.js')
