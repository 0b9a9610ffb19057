#!/usr/bin/env node
// The installed bin: loads the TypeScript CLI through tsx (a runtime dependency), then runs it.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./cli.ts')
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
