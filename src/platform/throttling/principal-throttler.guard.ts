import { type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { normalizeIp, ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import type { AuthenticatedRequest, Principal } from '../auth/index.js';

/** The budget every route shares, per principal (or per client address when anonymous). */
export const PRINCIPAL_BUDGET = 'default';
/** The gateway webhook's budget, per client address, counted apart from {@link PRINCIPAL_BUDGET}. */
export const WEBHOOK_BUDGET = 'webhook';

const WEBHOOK_BUDGET_METADATA = 'debts-hub:webhook-budget';

/**
 * Counts the route in the webhook budget instead of the principal's one, so junk posts from other
 * addresses cannot use up what the gateway's genuine results need (docs/adr/0020-redis-off-the-accepting-path.md).
 */
export const WebhookBudget = () => SetMetadata(WEBHOOK_BUDGET_METADATA, true);

/** The rate-limit identity of an authenticated caller: roles and subject, as ownership compares them. */
export function principalTracker(principal: Principal): string {
  return `principal-${[...principal.roles].sort().join(',')}-${principal.sub}`;
}

/**
 * The rate-limit identity of an anonymous client: its IPv4 address (also when it arrives
 * IPv4-mapped, `::ffff:a.b.c.d`), or its IPv6 /64, since one subscriber usually holds a whole /64
 * and could otherwise rotate addresses to get a fresh budget per request.
 */
export function clientAddressTracker(ip: string | undefined): string {
  return `ip-${ip ? normalizeIp(ip, 64) : 'unknown'}`;
}

/**
 * One budget per principal across all routes (the storage key names the caller, never the route,
 * unlike `@nestjs/throttler`'s default key) and a separate one for the gateway webhook. The client
 * address is `request.ip`, which follows `TRUST_PROXY_HOPS` (configure-http.ts).
 */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard {
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, throttler } = request;
    const webhookRoute =
      this.reflector.getAllAndOverride<boolean | undefined>(WEBHOOK_BUDGET_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) === true;
    // Each route counts in exactly one budget.
    if (webhookRoute !== (throttler.name === WEBHOOK_BUDGET)) return true;
    return super.handleRequest(request);
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { principal, ip } = request as unknown as AuthenticatedRequest;
    return principal ? principalTracker(principal) : clientAddressTracker(ip);
  }

  /** The caller alone: the storage adds the budget's name, and no route or handler name is part of it. */
  protected override generateKey(_context: ExecutionContext, tracker: string): string {
    return tracker;
  }
}
