import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real training and real sockets: generous per-test budget; speed targets live in benchmarks.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
