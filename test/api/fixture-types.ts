/**
 * One row of the `/api` fixture table (built from ../shared/seeds/001 and reference/pioreactor-api.md): the
 * method, the path (with parameters filled in for the seeded database), an example body, the status expected,
 * and a zod schema of the answer's shape. The runner (fixture-table.test.ts) sends every row through
 * fastify `inject()` against a seeded database.
 */
import type { z } from 'zod';

export interface FixtureRow {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template as the seed writes it, e.g. `/api/experiments/{experiment}`. */
  template: string;
  /** The concrete path sent. */
  path: string;
  body?: unknown;
  /** Expected status (202 for the task pattern). */
  status: number;
  /** Shape of the JSON answer (for 202 routes: of the task's final result). */
  shape?: z.ZodType;
  /** Content type when the answer is not JSON (INI, YAML, zip). */
  contentType?: RegExp;
}
