import type { INestApplication } from '@nestjs/common';

/** A layer of Express 5's router, as far as the route table needs it. */
interface Layer {
  name: string;
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Nest applies middleware (`consumer.apply(...).forRoutes(...)`) as an all-methods route on the
 * first path, or as a layer mounted on the second; neither serves anything by itself, so neither
 * is an endpoint. The route-table test also checks that an unknown path answers 404, so a real
 * catch-all route could not hide behind these.
 */
const NEST_MIDDLEWARE_PATHS: ReadonlySet<string> = new Set(['{/*splat}', '/{*path}']);

/**
 * Everything the running app serves, read from Express's own router: each route as
 * `METHOD path`, and each mount (a static folder, a sub-application such as Bull Board) as
 * `MOUNT path`. Global middleware (mounted at `/`) is not an endpoint and is left out.
 */
export function servedRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  const served = new Set<string>();
  for (const layer of express.router.stack) {
    if (layer.route) {
      if (NEST_MIDDLEWARE_PATHS.has(layer.route.path)) continue;
      for (const method of Object.keys(layer.route.methods)) served.add(`${method.toUpperCase()} ${layer.route.path}`);
    } else if (
      layer.rawPath !== undefined &&
      layer.rawPath !== '/' &&
      !NEST_MIDDLEWARE_PATHS.has(layer.rawPath) &&
      !/Parser$/.test(layer.name)
    ) {
      served.add(`MOUNT ${layer.rawPath}`);
    }
  }
  return [...served];
}
