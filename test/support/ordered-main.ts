import 'reflect-metadata';
import { Body, Controller, Injectable, Module, Post } from '@nestjs/common';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import { AppModule } from '../../src/app.module.js';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { type Envelope, type EventHandler, HandlesEvents, OutboxWriter } from '../../src/outbox/index.js';
import { Public } from '../../src/platform/index.js';
import {
  appendThings,
  orderedSubscription,
  type ThingPayload,
  ThingHappened,
  withAppCatalogue,
} from './outbox-fixtures.js';
import { pace } from './pace.js';

/** This process, as `ordered_effect.handled_by` names it. */
const PROCESS = `${process.pid}`;

/**
 * The ordered subscriber's handler here: records each handling in `ordered_effect` (which the test
 * creates), with the process that handled it; optionally slowed by TEST_ORDERED_DELAY_MS.
 */
@Injectable()
@HandlesEvents(orderedSubscription)
class OrderedEffectHandler implements EventHandler<ThingPayload> {
  private readonly delayMs = Number(process.env.TEST_ORDERED_DELAY_MS ?? 0);

  async handle(event: Envelope<ThingPayload>, tx: EntityManager): Promise<void> {
    if (this.delayMs > 0) await pace(this.delayMs); // a handler slow on purpose (TEST_ORDERED_DELAY_MS)
    await tx.query(`INSERT INTO ordered_effect (event_id, aggregate_id, seq, handled_by) VALUES ($1, $2, $3, $4)`, [
      event.id,
      event.aggregateId,
      event.aggregateSeq,
      PROCESS,
    ]);
  }
}

export class AppendThingsBody {
  @IsString()
  @Length(1, 64)
  aggregateId!: string;

  @IsInt()
  @Min(0)
  startN!: number;

  @IsInt()
  @Min(1)
  @Max(100)
  count!: number;
}

/** Appends `count` ThingHappened events of one aggregate, in one transaction, through the real writer. */
@Controller('testing')
class AppendThingsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: OutboxWriter,
  ) {}

  @Public()
  @Post('things')
  async append(@Body() body: AppendThingsBody): Promise<{ seqs: number[] }> {
    const events = await appendThings(this.dataSource, this.writer, body.count, {
      aggregateId: body.aggregateId,
      startN: body.startN,
    });
    return { seqs: events.map((e) => e.aggregateSeq) };
  }
}

@Module({})
class OrderedRootModule {}

/**
 * The real application plus the test catalogue's ordered subscriber (`testing.ordered-recorder`,
 * handled by {@link OrderedEffectHandler}) and a route that appends its events, as a process of its
 * own: for tests of per-aggregate order across several worker processes (test/process/many-processes).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const catalogue = withAppCatalogue([ThingHappened], [orderedSubscription]);
  const app = await createApp(config, {
    module: OrderedRootModule,
    imports: [AppModule.register(config, catalogue)],
    controllers: [AppendThingsController],
    providers: [OrderedEffectHandler],
  });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // As src/main.ts: only api processes listen.
  if (config.roles.has('api')) await app.listen(config.port);
  else await app.init();
}

main().catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
