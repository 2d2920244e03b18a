const WINDOW_MS = 60_000;
/** Clients tracked at most; beyond it the oldest windows are forgotten, so memory stays bounded. */
const MAX_CLIENTS = 10_000;

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Counts failed HTTP Basic logins per client in one process, in fixed one-minute windows. In
 * process rather than in Redis (which may be down) or PostgreSQL (a write per guess would let the
 * guesser load the database): with several API processes a client gets the limit once per
 * process, which still makes guessing a 12+ character password hopeless (docs/adr/0021).
 */
export class BasicAuthLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailuresPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `client` may try again, or 0 when it may try now. */
  retryAfterSeconds(client: string): number {
    const window = this.current(client);
    if (window === undefined || window.failures < this.maxFailuresPerMinute) return 0;
    return Math.max(1, Math.ceil((window.startedAt + WINDOW_MS - this.now()) / 1000));
  }

  recordFailure(client: string): void {
    const window = this.current(client);
    if (window !== undefined) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= MAX_CLIENTS) this.evict();
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  private current(client: string): Window | undefined {
    const window = this.windows.get(client);
    if (window === undefined) return undefined;
    if (this.now() - window.startedAt < WINDOW_MS) return window;
    this.windows.delete(client);
    return undefined;
  }

  /** Drops expired windows, and the oldest ones too if a flood of addresses filled the map. */
  private evict(): void {
    const now = this.now();
    for (const [client, window] of this.windows) {
      if (now - window.startedAt >= WINDOW_MS) this.windows.delete(client);
    }
    for (const client of this.windows.keys()) {
      if (this.windows.size < MAX_CLIENTS) break;
      this.windows.delete(client);
    }
  }
}

/**
 * The client a failure is counted against: its address as Express resolves it (so the proxy
 * setting applies), with IPv6 addresses grouped by /64, the block one subscriber usually holds.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const ipv4Mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (ipv4Mapped) return ipv4Mapped[1];
  if (!address.includes(':')) return address;
  const prefix = expandIpv6(address)
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16));
  return `${prefix.join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head, tail] = address.split('%')[0].split('::', 2) as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  if (tail === undefined) return left;
  const right = tail === '' ? [] : tail.split(':');
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
}
