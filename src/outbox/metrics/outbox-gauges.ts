import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LANES } from '../catalogue/event-contract.js';
import { LaneQueues } from '../delivery/lane-queues.js';
import { OUTBOX_PORTS, type OutboxGaugeReading as Reading, type OutboxPorts } from '../ports.js';

/** The BullMQ job states `outbox_queue_jobs` reports, per lane queue. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * One statement for the outbox's scrape-time gauges. The hot table holds only unrelayed rows, open
 * deliveries are read through their partial index, and dead letters by status: each stays small
 * while the system is healthy, and only grows with the very backlog these gauges exist to show.
 */
const OUTBOX_STATE = `
  SELECT (SELECT count(*) FROM outbox_message)::float8 AS backlog,
         (SELECT coalesce(extract(epoch FROM now() - min(occurred_at)), 0) FROM outbox_message)::float8 AS oldest,
         (SELECT count(*) FROM outbox_dead_letter WHERE status = 'dead')::float8 AS dead,
         (SELECT coalesce(json_agg(json_build_object('lane', lane, 'open', n, 'oldest', oldest)), '[]'::json)
          FROM (SELECT lane, count(*)::float8 AS n, extract(epoch FROM now() - min(created_at))::float8 AS oldest
                FROM outbox_delivery WHERE state IN ('pending', 'enqueued') GROUP BY lane) d) AS deliveries`;

interface OutboxStateRow {
  backlog: number;
  oldest: number;
  dead: number;
  deliveries: Array<{ lane: string; open: number; oldest: number }>;
}

/**
 * Gauges read when Prometheus scrapes, not kept up to date on the hot path
 * (docs/adr/0033-metrics-read-at-scrape-time.md): the outbox backlog and its oldest row's age,
 * open deliveries and the oldest one's age per lane (consumer lag), open dead letters, and each
 * lane queue's waiting, active, delayed and failed jobs. Every process reports them; they describe
 * shared PostgreSQL and Redis, so dashboards take `max` over instances.
 */
@Injectable()
export class OutboxGauges implements OnModuleInit, OnApplicationShutdown {
  private readonly removers: Array<() => void> = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly queues: LaneQueues,
    @Inject(OUTBOX_PORTS) private readonly ports: OutboxPorts,
  ) {}

  onModuleInit(): void {
    this.removers.push(
      this.ports.metrics.addScrapeSource(
        'outbox',
        [
          { name: 'outbox_backlog_events', help: 'Events appended to the outbox and not yet relayed' },
          {
            name: 'outbox_oldest_pending_age_seconds',
            help: 'Age of the oldest event not yet relayed (0 when none)',
            combine: 'max',
          },
          {
            name: 'outbox_open_deliveries',
            help: 'Deliveries relayed and not yet handled or dead-lettered, per lane',
            labelNames: ['lane'],
          },
          {
            name: 'outbox_oldest_open_delivery_age_seconds',
            help: 'Age of the oldest delivery not yet handled or dead-lettered, per lane (consumer lag)',
            labelNames: ['lane'],
            combine: 'max',
          },
          { name: 'outbox_open_dead_letters', help: 'Dead letters not replayed' },
        ],
        () => this.readOutbox(),
      ),
      this.ports.metrics.addScrapeSource(
        'queues',
        [{ name: 'outbox_queue_jobs', help: 'Jobs in each lane queue by state', labelNames: ['lane', 'state'] }],
        () => this.readQueues(),
      ),
    );
  }

  onApplicationShutdown(): void {
    for (const remove of this.removers.splice(0)) remove();
  }

  private async readOutbox(): Promise<Reading> {
    const [row] = (await this.dataSource.query(OUTBOX_STATE)) as OutboxStateRow[];
    const byLane = new Map(row.deliveries.map((d) => [d.lane, d]));
    return {
      outbox_backlog_events: [[{}, row.backlog]],
      outbox_oldest_pending_age_seconds: [[{}, row.oldest]],
      outbox_open_dead_letters: [[{}, row.dead]],
      outbox_open_deliveries: LANES.map((lane) => [{ lane }, byLane.get(lane)?.open ?? 0]),
      outbox_oldest_open_delivery_age_seconds: LANES.map((lane) => [{ lane }, byLane.get(lane)?.oldest ?? 0]),
    };
  }

  private async readQueues(): Promise<Reading> {
    const counts = await Promise.all(
      LANES.map(async (lane) => [lane, await this.queues.queue(lane).getJobCounts(...QUEUE_STATES)] as const),
    );
    return {
      outbox_queue_jobs: counts.flatMap(([lane, byState]) =>
        QUEUE_STATES.map((state): [Record<string, string>, number] => [{ lane, state }, byState[state] ?? 0]),
      ),
    };
  }
}
