import request from 'supertest';
import { ScheduledTasks } from '../../src/outbox/index.js';
import { useTestApp } from '../support/scenario.js';

const BOARD = '/admin/queues';
const PAUSE = `${BOARD}/api/queues/maintenance/pause`;
const RESUME = `${BOARD}/api/queues/maintenance/resume`;
const PASSWORD = 'board-password-123';
const FAILURES_PER_MINUTE = 3;

/**
 * Bull Board is opened by a browser with HTTP Basic, which the browser replays on its own: these
 * tests play the other site that tries to use that, and the guesser that tries passwords.
 */
describe('Bull Board: admins only, no cross-site writes, no password guessing', () => {
  const t = useTestApp({
    env: {
      ADMIN_USERNAME: 'ops',
      ADMIN_PASSWORD: PASSWORD,
      ADMIN_AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE),
    },
  });
  let admin: string;
  const paused = () => t.app.get(ScheduledTasks).queue.isPaused();
  const host = () => new URL(t.url).host;

  beforeAll(async () => {
    admin = `Bearer ${t.token({ sub: 'ops', roles: ['admin'] })}`;
  });

  it('challenges anonymous callers with Basic, refuses non-admin tokens with 403', async () => {
    const anonymous = await request(t.url).get(BOARD);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="Bull Board"/);

    for (const roles of [['citizen'], ['customer'], ['service']] as const) {
      const res = await request(t.url)
        .get(`${BOARD}/api/queues`)
        .set('Authorization', `Bearer ${t.token({ sub: 'x', roles: [...roles] })}`);
      expect({ roles, status: res.status }).toEqual({ roles, status: 403 });
      expect(res.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
    }
    expect((await request(t.url).get(BOARD).set('Authorization', 'Bearer not-a-jwt')).status).toBe(401);
    expect((await request(t.url).get(BOARD).set('Authorization', admin)).status).toBe(200);
  });

  it('denies framing the board', async () => {
    const res = await request(t.url).get(BOARD).set('Authorization', admin);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('lets its own page pause and resume a queue: same Origin, no body, or a JSON body', async () => {
    const origin = `http://${host()}`;
    const pause = await request(t.url)
      .put(PAUSE)
      .auth('ops', PASSWORD)
      .set('Origin', origin)
      .set('Sec-Fetch-Site', 'same-origin');
    expect(pause.status).toBe(200);
    expect(await paused()).toBe(true);
    const resume = await request(t.url).put(RESUME).auth('ops', PASSWORD).set('Origin', origin).send({});
    expect(resume.status).toBe(200);
    expect(await paused()).toBe(false);
    // Tools such as curl send no Origin; they do not act on a browser user's behalf.
    expect((await request(t.url).put(PAUSE).set('Authorization', admin)).status).toBe(200);
    expect((await request(t.url).put(RESUME).set('Authorization', admin)).status).toBe(200);
    expect(await paused()).toBe(false);
  });

  it('refuses form and text bodies with 415, even empty ones', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      for (const body of ['', 'a=1']) {
        const res = await request(t.url).put(PAUSE).auth('ops', PASSWORD).set('Content-Type', type).send(body);
        expect({ type, body, status: res.status }).toEqual({ type, body, status: 415 });
      }
    }
    expect(await paused()).toBe(false);
  });

  it('refuses writes from another origin or site with 403, credentials or not', async () => {
    const attempts = [
      { Origin: 'https://evil.example' },
      { Origin: `http://${host()}.evil.example` },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site', Origin: `http://${host()}` },
    ];
    for (const headers of attempts) {
      const res = await request(t.url).put(PAUSE).auth('ops', PASSWORD).set(headers);
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      expect(res.body).toMatchObject({ type: '/problems/forbidden' });
    }
    const post = await request(t.url)
      .post(`${BOARD}/api/queues/maintenance/add`)
      .set('Authorization', admin)
      .set('Origin', 'https://evil.example')
      .send({ name: 'x', data: {} });
    expect(post.status).toBe(403);
    expect(await paused()).toBe(false);
  });

  // Last: it uses up this client's Basic budget.
  it('answers 429 with Retry-After once a client has failed Basic too often, even for the right password', async () => {
    for (let i = 0; i < FAILURES_PER_MINUTE; i += 1) {
      const wrong = await request(t.url).get(BOARD).auth('ops', `guess-${i}`);
      expect(wrong.status).toBe(401);
      expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    }
    for (const password of ['guess-next', PASSWORD]) {
      const throttled = await request(t.url).get(BOARD).auth('ops', password);
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(throttled.body).toMatchObject({ type: '/problems/rate-limited', status: 429 });
    }
    // An admin token is not a guess: it still opens the board.
    expect((await request(t.url).get(BOARD).set('Authorization', admin)).status).toBe(200);
  });
});
