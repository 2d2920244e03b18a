import { Injectable, type PipeTransform } from '@nestjs/common';
import { ValidationProblem } from '../../../platform/index.js';
import { LOCATION_ID_PATTERN, SKU_PATTERN } from '../domain/stock/stock.js';

function patternPipe(field: string, pattern: RegExp) {
  @Injectable()
  class PatternPipe implements PipeTransform<string, string> {
    transform(value: string): string {
      if (!pattern.test(value)) {
        throw new ValidationProblem([{ field, message: `${field} must be 1-64 letters, digits, "-", "_" or "."` }]);
      }
      return value;
    }
  }
  return PatternPipe;
}

/** Path parameter `sku`: 1-64 letters, digits, `-`, `_`, `.`; otherwise 400. */
export const SkuPipe = patternPipe('sku', SKU_PATTERN);
/** Path parameter `locationId`: 1-64 letters, digits, `-`, `_`, `.`; otherwise 400. */
export const LocationIdPipe = patternPipe('locationId', LOCATION_ID_PATTERN);
