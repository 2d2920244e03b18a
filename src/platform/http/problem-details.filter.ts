import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { loggableError } from '../logging/loggable-error.js';
import { type ProblemDocument, ProblemException, problemType } from './problem.js';

const SLUG_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'rate-limited',
};

/**
 * Renders every error as `application/problem+json` (RFC 9457). Unexpected errors are answered
 * with a generic 500 (no stack traces, SQL or class names leave the process) and logged as
 * {@link loggableError} describes them: class, code, a message without values, the stack; never
 * the query's parameters or text, which may hold personal data.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const problem = this.toProblem(exception);
    if (problem.status >= 500) {
      this.logger.error({ error: loggableError(exception) }, 'request failed with an unexpected error');
    }
    if (response.headersSent) return;
    response.status(problem.status).type('application/problem+json').json(problem);
  }

  private toProblem(exception: unknown): ProblemDocument {
    if (exception instanceof ProblemException) return exception.toProblem();
    if (exception instanceof HttpException) return this.fromHttpException(exception);
    return build(500, 'internal-error', 'An unexpected error occurred; it has been logged.');
  }

  private fromHttpException(exception: HttpException): ProblemDocument {
    const status = exception.getStatus();
    // Nest's built-in exceptions carry human-readable messages written by this app or Nest itself.
    const body = exception.getResponse();
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? (body as { message: unknown }).message : body;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    // The Express adapter turns body-parser's JSON SyntaxError into a 400 whose cause it keeps.
    const slug = exception.cause instanceof SyntaxError ? 'malformed-body' : SLUG_BY_STATUS[status];
    return build(status, slug ?? (status >= 500 ? 'internal-error' : 'http-error'), detail);
  }
}

function build(status: number, slug: string, detail: string): ProblemDocument {
  return { type: problemType(slug), title: STATUS_CODES[status] ?? 'Error', status, detail };
}
