import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.ts';

// Long soak / 500-node tests read DYNALAB_LONG; the default run stays well under 10 minutes on 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', new SummaryReporter()],
  },
});
