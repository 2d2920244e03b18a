import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldError, ValidationProblem } from './problem.js';

/**
 * Refuses NUL characters anywhere in a request's body, query or path parameters before they are
 * validated: PostgreSQL's `text` cannot hold them, so one reaching a query is a 500, never a match.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const fields = nulFields(value, metadata.data ?? '');
      if (fields.length > 0) {
        throw new ValidationProblem(fields.map((field) => ({ field, message: `${field} must not contain NUL` })));
      }
    }
    return super.transform(value, metadata);
  }
}

/** The paths of the strings (or keys) in `value` that contain U+0000. */
function nulFields(value: unknown, path: string): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path || 'value'] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path === '' ? key : `${path}.${key}`;
    return key.includes('\u0000') ? [childPath] : nulFields(child, childPath);
  });
}

/**
 * Strict validation for every request DTO: unknown properties (read-only fields included, since
 * DTOs never declare them) and wrong types are rejected with 400 and the list of fields; so is a
 * NUL character in any string of the body, query or path.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationProblem(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent === '' ? error.property : `${parent}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
