import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../config/index.js';
import { currentCorrelation } from '../context/index.js';

/** Headers that carry credentials or signatures: never logged. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-gateway-signature"]',
  'res.headers["set-cookie"]',
];

/** Structured JSON logs (pino) in which every line carries the current correlation id. */
export function loggingModule(config: AppConfig) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin: () => {
        const context = currentCorrelation();
        return context ? { correlationId: context.correlationId, causationId: context.causationId } : {};
      },
      // The request id is the correlation id, set by the correlation middleware that runs first.
      genReqId: (request: IncomingMessage) =>
        currentCorrelation()?.correlationId ?? String(request.headers['x-correlation-id']),
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
      quietReqLogger: true,
      autoLogging: { ignore: (request) => request.url?.startsWith('/health') === true },
    },
  });
}
