import { Controller, Get, Header, Headers, Inject, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { collectDefaultMetrics, register } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/index.js';
import { constantTimeEqual, Public } from '../auth/index.js';

let defaultsCollected = false;
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Prometheus text at `/metrics`; bearer `METRICS_TOKEN` required when it is set. */
@ApiExcludeController()
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    if (!defaultsCollected) {
      collectDefaultMetrics();
      // Gauges named like counters, which `promtool check metrics` rejects; each is the sum of the
      // labelled gauge of the same name without `_total` (nodejs_active_handles{type}, ...).
      for (const name of MISNAMED_DEFAULTS) register.removeSingleMetric(name);
      defaultsCollected = true;
    }
  }

  @Get()
  @Header('Content-Type', register.contentType)
  async metrics(@Headers('authorization') authorization?: string): Promise<string> {
    const token = this.config.metricsToken;
    if (token !== undefined && !constantTimeEqual(authorization ?? '', `Bearer ${token}`)) {
      throw new UnauthorizedException('A metrics token is required.');
    }
    return register.metrics();
  }
}
