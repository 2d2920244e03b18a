import { Body, Controller, Post, Res } from '@nestjs/common';
import { IsIn, IsInt, IsObject, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { Response } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { OutboxWriter } from '../../src/outbox/index.js';
import {
  applyIdempotentResult,
  IdempotencyService,
  type IdempotencyRequest,
  IdempotentRequest,
  type IdempotentResponse,
} from '../../src/platform/index.js';
import { ThingHappened } from './outbox-fixtures.js';
import { pace } from './pace.js';

/** How the probe command may be told to fail. */
export const PROBE_FAILURES = ['throw', 'throw-once', 'answer-503'] as const;

export class IdempotentProbeBody {
  @IsString()
  @Length(1, 64)
  name!: string;

  /** `throw`: always; `throw-once`: the first call per name only; `answer-503`: returns a 503. */
  @IsOptional()
  @IsIn(PROBE_FAILURES)
  fail?: (typeof PROBE_FAILURES)[number];

  /** A slow command: waits this long inside its transaction, after its writes. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  delayMs?: number;

  /** Waits at the {@link probeGates} gate of this name (prepared by the test) inside its transaction. */
  @IsOptional()
  @IsString()
  hold?: string;

  /** Free nested data, for key-order tests. */
  @IsOptional()
  @IsObject()
  tags?: Record<string, unknown>;
}

/** What the probe command answers; `effectId` and `at` differ on every real execution. */
export interface ProbeEffect {
  effectId: number;
  name: string;
  scope: string;
  tags: Record<string, unknown> | null;
  at: string;
  /** The lock_timeout the command's statements run with. */
  lockTimeout: string;
  /** The command's transaction isolation level, e.g. `read committed`. */
  isolation: string;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Gates that hold a probe command in flight until the test opens them: no sleeps needed. */
class ProbeGates {
  private readonly gates = new Map<string, { entered: Deferred; released: Deferred }>();

  /** Prepares gate `name`: `entered` settles when a command reaches it, `release()` lets it go on. */
  prepare(name: string): { entered: Promise<void>; release(): void } {
    const gate = { entered: deferred(), released: deferred() };
    this.gates.set(name, gate);
    return { entered: gate.entered.promise, release: () => gate.released.resolve() };
  }

  async pass(name: string): Promise<void> {
    const gate = this.gates.get(name);
    if (!gate) return;
    gate.entered.resolve();
    await gate.released.promise;
  }
}

export const probeGates = new ProbeGates();
const failedOnce = new Set<string>();

export const PROBE_EFFECT_TABLE = 'test_idempotent_effect';

/** Creates the table the probe command writes its effect to. */
export async function createProbeEffectTable(dataSource: DataSource): Promise<void> {
  await dataSource.query(`
    CREATE TABLE ${PROBE_EFFECT_TABLE} (
      id serial PRIMARY KEY,
      scope text NOT NULL,
      name text NOT NULL
    )`);
}

/**
 * Keyed routes as the payments and orders controllers write them: the command inserts an effect
 * row and appends an outbox event with the transaction it is given, then may be slow, held, or fail.
 */
@Controller('probe/idempotent')
export class IdempotentProbeController {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly outbox: OutboxWriter,
  ) {}

  @Post()
  async create(
    @Body() body: IdempotentProbeBody,
    @IdempotentRequest() keyed: IdempotencyRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ProbeEffect> {
    const result = await this.idempotency.execute(keyed, (tx) => this.record(tx, keyed.scope, body));
    return applyIdempotentResult(response, result);
  }

  /** The same command on another path: the path is part of the fingerprint. */
  @Post('other')
  async other(
    @Body() body: IdempotentProbeBody,
    @IdempotentRequest() keyed: IdempotencyRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ProbeEffect> {
    const result = await this.idempotency.execute(keyed, (tx) => this.record(tx, keyed.scope, body));
    return applyIdempotentResult(response, result);
  }

  private async record(
    tx: EntityManager,
    scope: string,
    body: IdempotentProbeBody,
  ): Promise<IdempotentResponse<ProbeEffect>> {
    const [{ id, lock_timeout, isolation }]: Array<{ id: number; lock_timeout: string; isolation: string }> =
      await tx.query(
        `INSERT INTO ${PROBE_EFFECT_TABLE} (scope, name) VALUES ($1, $2)
         RETURNING id, current_setting('lock_timeout') AS lock_timeout,
                   current_setting('transaction_isolation') AS isolation`,
        [scope, body.name],
      );
    await this.outbox.append(tx, {
      contract: ThingHappened,
      aggregateId: `idempotent-probe-${id}`,
      payload: { key: body.name, n: id },
    });
    if (body.hold !== undefined) await probeGates.pass(body.hold);
    if (body.delayMs !== undefined) await pace(body.delayMs); // a request slow on purpose (body.delayMs)
    if (body.fail === 'throw' || (body.fail === 'throw-once' && !failedOnce.has(body.name))) {
      failedOnce.add(body.name);
      throw new Error('probe command failed after writing');
    }
    const effect: ProbeEffect = {
      effectId: id,
      name: body.name,
      scope,
      tags: body.tags ?? null,
      at: new Date().toISOString(),
      lockTimeout: lock_timeout,
      isolation,
    };
    return { status: body.fail === 'answer-503' ? 503 : 201, body: effect };
  }
}
