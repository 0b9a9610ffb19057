import { defineConfig } from 'vitest/config'

// Real-browser journeys against a real server: run by `npm run test:e2e` (and by CI).
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
