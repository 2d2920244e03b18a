import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { deliveryJobId, LaneQueues, MAINTENANCE_QUEUE } from '../../src/outbox/testing.js';
import { OutboxWriter } from '../../src/outbox/index.js';
import { eventually } from '../support/eventually.js';
import {
  appendThings,
  bulkSubscription,
  createEffectTable,
  faults,
  orderedSubscription,
  outboxTestSetup,
  recorderSubscription,
} from '../support/outbox-fixtures.js';
import { describeWithTool } from '../support/suite-backends.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { CHROMIUM as CHROMIUM_TOOL } from '../support/tools.js';

/**
 * The browser: Debian's `chromium` (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. Without it
 * the suite is skipped and reported, or fails where TEST_REQUIRE_TOOLS=1 (CI).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const BOARD = '/admin/queues';
const USERNAME = 'ops';
const PASSWORD = 'board-password-browser';
const RECORDER = recorderSubscription.name;
const ERROR = 'downstream is down (bull board browser test)';
const UI_TIMEOUT_MS = 20_000;

/**
 * Bull Board as an operator uses it: a real headless Chromium with HTTP Basic credentials, the
 * board's own pages and buttons, the app's real CSP and same-origin write checks in between.
 */
describeWithTool(import.meta.url, CHROMIUM_TOOL)('Bull Board in a real browser (headless Chromium, HTTP Basic)', () => {
  let t: TestApp;
  let dataSource: DataSource;
  let context: BrowserContext | undefined;
  let page: Page;
  let userDataDir: string | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      // Only where TEST_REQUIRE_TOOLS=1: elsewhere describeWithTool skipped the suite, with the reason.
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: install it (apt-get install -y chromium, as .ci/run does) ` +
          'or set CHROMIUM_PATH.',
      );
    }
    t = await startTestApp({
      ...outboxTestSetup([recorderSubscription, orderedSubscription, bulkSubscription]),
      env: { ADMIN_USERNAME: USERNAME, ADMIN_PASSWORD: PASSWORD, OUTBOX_RELAY_POLL_INTERVAL_MS: '50' },
    });
    dataSource = t.app.get(DataSource);
    await createEffectTable(dataSource);
    await mkdir(ARTIFACTS, { recursive: true });
    userDataDir = await mkdtemp(join(tmpdir(), 'debts-hub-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      httpCredentials: { username: USERNAME, password: PASSWORD },
      viewport: { width: 1400, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(UI_TIMEOUT_MS);
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await t?.close();
  });

  /** Saves what the browser shows, for a person to look at after the run. */
  const screenshot = async (name: string) => {
    const path = join(ARTIFACTS, `bull-board-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
  /** On a failed step, the page as it was (screenshot and HTML) beside the other artefacts. */
  async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!context) throw error; // no browser: nothing to save
      await screenshot(`${name}-failed`).catch(() => undefined);
      await writeFile(join(ARTIFACTS, `bull-board-${name}-failed.html`), await page.content()).catch(() => undefined);
      throw error;
    }
  }

  it('lists every lane queue and the maintenance queue', async () => {
    await step('queues', async () => {
      const response = await page.goto(`${t.url}${BOARD}`);
      expect(response?.status()).toBe(200);
      const names = [
        ...t.app
          .get(LaneQueues)
          .all()
          .map((queue) => queue.name),
        MAINTENANCE_QUEUE,
      ];
      expect(names).toEqual(expect.arrayContaining(['critical', 'default', 'bulk', 'maintenance']));
      for (const name of names) {
        await page.locator(`a[href$="/queue/${name}"]`).first().waitFor();
      }
    });
    await screenshot('queues');
  }, 60_000);

  it('shows a failed delivery job with its error; retrying it from the UI handles it once, and the inbox still protects', async () => {
    faults.recorder.reset();
    faults.recorder.failuresLeft = recorderSubscription.retry.attempts;
    faults.recorder.error = () => new Error(ERROR);
    const [event] = await appendThings(dataSource, t.app.get(OutboxWriter), 1, { aggregateId: 'board-browser' });
    const jobId = deliveryJobId(event.id, RECORDER);
    const critical = t.app.get(LaneQueues).queue('critical');
    await eventually(async () => expect(await critical.getJobState(jobId)).toBe('failed'));
    expect(faults.recorder.calls).toBe(recorderSubscription.retry.attempts);
    faults.recorder.reset(); // the cause is fixed: the next attempt succeeds

    await step('failed-job', async () => {
      await page.goto(`${t.url}${BOARD}/queue/critical?status=failed`);
      await page.getByText(jobId).first().waitFor();
      await page.getByText(ERROR).first().waitFor();
    });
    const shot = await screenshot('failed-job');
    expect(existsSync(shot)).toBe(true);

    await step('retry', async () => {
      // The job's actions are icon buttons named by a tooltip: hover to be sure this one is "Retry".
      const retry = page
        .locator('[class*="jobActions"] button')
        .filter({ has: page.locator('svg.lucide-refresh-cw') })
        .first();
      await retry.hover();
      await page
        .getByText(/^Retry$/)
        .first()
        .waitFor();
      await retry.click();
      const confirm = page.getByText('Are you sure that you want to retry this job?');
      await confirm.waitFor();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await confirm.waitFor({ state: 'hidden' });
    });

    await eventually(async () => expect(await critical.getJobState(jobId)).toBe('completed'), { timeoutMs: 15_000 });
    expect((await critical.getJob(jobId))?.returnvalue).toBe('handled');
    const handled = async () =>
      (
        await dataSource.query(`SELECT count(*)::int AS n FROM test_effect WHERE event_id = $1 AND subscriber = $2`, [
          event.id,
          RECORDER,
        ])
      )[0].n as number;
    expect(await handled()).toBe(1);
    expect(faults.recorder.calls).toBe(1);
    const [ledger] = await dataSource.query(
      `SELECT state, attempts FROM outbox_delivery WHERE event_id = $1 AND subscriber = $2`,
      [event.id, RECORDER],
    );
    expect(ledger.state).toBe('handled');

    // The same event again, as a dead-letter replay would send it: the inbox answers "duplicate".
    const [letter] = await dataSource.query(`SELECT id FROM outbox_dead_letter WHERE event_id = $1`, [event.id]);
    const admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;
    const replay = await request(t.url).post(`/admin/dead-letters/${letter.id}/replay`).set('Authorization', admin);
    expect(replay.body).toEqual({ replayed: 1 });
    const replayJob = `${jobId}-replay-1`;
    await eventually(async () => expect(await critical.getJobState(replayJob)).toBe('completed'));
    expect((await critical.getJob(replayJob))?.returnvalue).toBe('duplicate');
    expect(await handled()).toBe(1);
    expect(faults.recorder.calls).toBe(1);

    await step('retried', async () => {
      await page.goto(`${t.url}${BOARD}/queue/critical?status=completed`);
      await page.getByText(jobId).first().waitFor();
    });
    await screenshot('retried');
  }, 90_000);
});
