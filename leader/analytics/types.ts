/**
 * Shared record types of the analytics library. Times are epoch milliseconds (UTC) so that every module
 * works on plain numbers and typed arrays; callers convert to Date/ISO at the edges.
 */

/** Growth phases, as SporeDB names them. */
export type PhaseType = 'lag' | 'exponential' | 'stationary' | 'decline' | 'unknown';

export const PHASE_TYPES: readonly PhaseType[] = ['lag', 'exponential', 'stationary', 'decline', 'unknown'];

/** One labelled segment of a signal. Indices address the input arrays; endIndex is exclusive. */
export interface PhaseSegment {
  phase: PhaseType;
  startIndex: number;
  endIndex: number;
  startTs: number;
  endTs: number;
  /** Change of the (raw) signal per HOUR between the segment's first and last sample. */
  growthRatePerHour: number;
  /** In [0, 1]; how strongly the data support the segment's boundaries (see phases.ts). */
  confidence: number;
  metadata: Record<string, string | number | boolean>;
}

/** A time series of one variable: parallel arrays, ts ascending. */
export interface Series {
  ts: Float64Array;
  values: Float64Array;
}

export const MS_PER_HOUR = 3_600_000;
