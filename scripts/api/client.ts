/**
 * A typed client of the Debts Hub REST API: `openapi-fetch` over the types generated from the
 * OpenAPI document (`./openapi.ts`), so a call to a route, parameter or field the document does not
 * have fails `tsc`. Used by `npm run demo`.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './openapi.js';

export type { components, paths };
/** A schema of the document by name: `Schema<'DebtResponse'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** A client of the API at `baseUrl`; `authorization` (e.g. `Bearer …`) goes with every call. */
export function apiClient(baseUrl: string, authorization?: string) {
  return createClient<paths>({ baseUrl, headers: authorization === undefined ? {} : { Authorization: authorization } });
}

/** What an openapi-fetch call resolves to. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body; a failed call throws with its method, path, status and problem. */
export async function ok<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) {
    const problem = error === undefined ? '' : `: ${JSON.stringify(error)}`;
    throw new Error(`${response.url} → ${response.status}${problem}`);
  }
  return data;
}
