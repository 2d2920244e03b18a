import { HttpException } from '@nestjs/common';

/** One invalid field of a request, as listed in a validation problem. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document (`application/problem+json`). */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** Problem `type` URIs are relative references naming the case, e.g. `/problems/validation-failed`. */
export function problemType(slug: string): string {
  return `/problems/${slug}`;
}

/**
 * An HTTP error whose response is a problem document. Throw it (or a subclass) from any layer
 * that speaks HTTP; the problem filter renders it.
 */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail, status);
  }

  toProblem(): ProblemDocument {
    return {
      type: problemType(this.slug),
      title: this.title,
      status: this.getStatus(),
      detail: this.message,
      ...this.extensions,
    };
  }
}

/** 400 with the list of invalid fields. */
export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[]) {
    super(400, 'validation-failed', 'Validation failed', 'The request has invalid or unknown fields.', { errors });
  }
}
