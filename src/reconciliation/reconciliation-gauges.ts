import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { addScrapeSource } from '../platform/index.js';

/**
 * `reconciliation_open_findings`, read when Prometheus scrapes: the findings still open per
 * reconciler (exceptions waiting for an admin, and heals that failed), through the status index.
 */
@Injectable()
export class ReconciliationGauges implements OnModuleInit, OnApplicationShutdown {
  private remove?: () => void;

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.remove = addScrapeSource(
      'reconciliation',
      [
        {
          name: 'reconciliation_open_findings',
          help: 'Reconciliation findings open (exceptions waiting for an admin), per reconciler',
          labelNames: ['reconciler'],
        },
      ],
      async () => {
        const rows: Array<{ reconciler: string; n: number }> = await this.dataSource.query(
          `SELECT reconciler, count(*)::float8 AS n FROM reconciliation_finding WHERE status = 'open' GROUP BY reconciler`,
        );
        return { reconciliation_open_findings: rows.map((row) => [{ reconciler: row.reconciler }, row.n]) };
      },
    );
  }

  onApplicationShutdown(): void {
    this.remove?.();
  }
}
