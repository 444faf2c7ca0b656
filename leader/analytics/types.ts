/**
 * Shared record types of the analytics library. Times are epoch milliseconds (UTC) so that every module
 * works on plain numbers and typed arrays; callers convert to Date/ISO at the edges.
 */

/** Growth phases: SporeDB's names plus `deceleration` (growing, but below half the maximum rate). */
export type PhaseType = 'lag' | 'exponential' | 'deceleration' | 'stationary' | 'decline' | 'unknown';

export const PHASE_TYPES: readonly PhaseType[] = ['lag', 'exponential', 'deceleration', 'stationary', 'decline', 'unknown'];

/** One labelled segment of a signal. Indices address the input arrays; endIndex is exclusive. */
export interface PhaseSegment {
  phase: PhaseType;
  startIndex: number;
  endIndex: number;
  startTs: number;
  endTs: number;
  /** Specific growth rate over the segment (OLS of ln X on hours, 1/h; NaN when it cannot be estimated). */
  growthRatePerHour: number;
  /** In [0, 1]; the share of the segment's samples whose own growth rate falls in its class (see phases.ts). */
  confidence: number;
  metadata: Record<string, string | number | boolean>;
}

/** A time series of one variable: parallel arrays, ts ascending. */
export interface Series {
  ts: Float64Array;
  values: Float64Array;
}

export const MS_PER_HOUR = 3_600_000;
