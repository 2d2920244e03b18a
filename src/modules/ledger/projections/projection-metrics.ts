import { Injectable } from '@nestjs/common';
import { histogram } from '../../../platform/index.js';

/** The projections' Prometheus metrics, in the process's default registry. */
@Injectable()
export class ProjectionMetrics {
  readonly rebuildSeconds = histogram(
    'projection_rebuild_duration_seconds',
    'Duration of projection rebuilds that swapped in a new version',
    ['projection'],
    [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  );
}
