/**
 * The one error type the query DSL throws. Every message names the line and column of the offending
 * input, because DSL text arrives from HTTP clients and the caller must be able to point the user at
 * the exact character without parsing our message.
 */
export class DslError extends Error {
  override readonly name = 'DslError';

  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${detail} at line ${line}, column ${column}`);
  }
}

/** A 1-based position in the query text. */
export interface Pos {
  readonly line: number;
  readonly column: number;
}

export function dslError(detail: string, pos: Pos): DslError {
  return new DslError(detail, pos.line, pos.column);
}
