import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
  type SchemaObject,
} from '@nestjs/swagger';
import type { FieldError, ProblemDocument } from './problem.js';

/** One invalid field of a validation problem, as the OpenAPI document describes it. */
export class FieldErrorSchema implements FieldError {
  @ApiProperty({ example: 'amount' }) field!: string;
  @ApiProperty({ example: 'amount must be positive' }) message!: string;
}

/**
 * The problem document every error is rendered as (`application/problem+json`, RFC 9457; see
 * {@link ProblemDetailsFilter}), for the OpenAPI document. Some problems add members of their own
 * (`rebuildId`, `skus`, ...), hence `additionalProperties`.
 */
@ApiExtraModels(FieldErrorSchema)
export class ProblemDetails implements ProblemDocument {
  [extension: string]: unknown;

  @ApiProperty({ description: 'relative URI naming the case', example: '/problems/not-found' })
  type!: string;

  @ApiProperty({ example: 'Not Found' })
  title!: string;

  @ApiProperty({ type: 'integer', example: 404 })
  status!: number;

  @ApiProperty({ example: 'debt 0190a3c4-0000-7000-8000-000000000000 not found' })
  detail!: string;

  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'validation problems (400) only' })
  errors?: FieldErrorSchema[];
}

/** The error statuses routes document; each has one meaning across the API (API.md, "Conventions"). */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429;

const PROBLEM_DESCRIPTIONS: Record<ProblemStatus, string> = {
  400: 'Invalid request: malformed JSON, unknown or invalid fields, parameters or query (errors lists the fields)',
  401: 'Missing, malformed, expired or wrongly signed bearer token',
  403: 'The token has no role allowed here',
  404: 'Not found, or another owner’s object (no existence leak)',
  409: 'Conflict with the current state',
  413: 'Body larger than HTTP_BODY_LIMIT',
  415: 'Body that is not JSON (Content-Type must be application/json)',
  422: 'Well-formed but not acceptable in the current state',
  429: 'Rate limit reached; see Retry-After',
};

/** The schema of an `application/problem+json` answer, for an explicit response. */
export const PROBLEM_CONTENT = {
  'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetails) } },
};

/**
 * Documents the error answers a route (or every route of a controller) can give, each as an
 * `application/problem+json` {@link ProblemDetails}: `@ApiProblems(400, 404, 409)`.
 * `description` overrides the generic meaning of a status where a route gives it a precise one.
 */
export function ApiProblems(
  ...statuses: Array<ProblemStatus | [ProblemStatus, string]>
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetails),
    ...statuses.map((entry) => {
      const [status, description] = Array.isArray(entry) ? entry : [entry, PROBLEM_DESCRIPTIONS[entry]];
      return ApiResponse({ status, description, content: PROBLEM_CONTENT });
    }),
  );
}

/** What a bearer-authenticated route with roles answers before its handler runs: 401, 403 and 429. */
export const ApiAuthProblems = (): MethodDecorator & ClassDecorator => ApiProblems(401, 403, 429);

/**
 * What a route that reads a JSON body answers before its handler runs, besides 400: 413 and 415
 * (`configureHttp`). The 400 is left to the route, which knows what else it refuses.
 */
export const ApiBodyProblems = (): MethodDecorator & ClassDecorator => ApiProblems(413, 415);

/**
 * A 200 answer that is a page of `item` (API.md, "Lists": `{ items, nextCursor }`), with `extra`
 * members beside them (e.g. a total): `@ApiOkPage(DebtResponse, { currency: { type: 'string' } })`.
 */
export function ApiOkPage(item: Type, extra: Record<string, SchemaObject> = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description: 'A page; pass nextCursor as ?cursor= for the next one',
      schema: {
        type: 'object',
        required: ['items', 'nextCursor', ...Object.keys(extra)],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          nextCursor: { type: 'string', nullable: true, description: 'null on the last page' },
          ...extra,
        },
      },
    }),
  );
}
