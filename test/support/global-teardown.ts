/**
 * Jest globalTeardown (jest.config.js): stops the PostgreSQL and Redis that global-setup.ts started,
 * then prints which suites ran on which queue backend (the last lines of the run).
 */
import { stopStarted } from './global-setup.js';
import { runReport } from './suite-backends-report.js';

export default async function globalTeardown(): Promise<void> {
  try {
    await stopStarted();
  } finally {
    process.stderr.write(runReport());
  }
}
