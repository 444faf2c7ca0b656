/**
 * Logging setup: pino, JSON to stdout (journald picks it up), with Pioreactor's NOTICE level
 * (25 in Python's scale) added between info and warn. The agent mirrors the same records onto
 * the MQTT log topics through the `onRecord` hook.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type PioLevel = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';

const PINO_LEVELS: Record<PioLevel, number> = {
  DEBUG: 20,
  INFO: 30,
  NOTICE: 35,
  WARNING: 40,
  ERROR: 50,
  CRITICAL: 60,
};

/** Map a pino numeric level to Pioreactor's level name. */
export function pioLevelOf(pinoLevel: number): PioLevel {
  if (pinoLevel >= 60) return 'CRITICAL';
  if (pinoLevel >= 50) return 'ERROR';
  if (pinoLevel >= 40) return 'WARNING';
  if (pinoLevel >= 35) return 'NOTICE';
  if (pinoLevel >= 30) return 'INFO';
  return 'DEBUG';
}

export function pinoLevelOf(level: PioLevel): number {
  return PINO_LEVELS[level];
}

export type ColonyLogger = Logger<'notice'>;

export interface LoggerOptions {
  name: string;
  level?: 'trace' | 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Defaults to stdout. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions): ColonyLogger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? (process.env.COLONY_LOG_LEVEL as LoggerOptions['level']) ?? 'info',
      customLevels: { notice: 35 },
      base: { pid: process.pid, ...(opts.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  ) as ColonyLogger;
}

/** A logger that writes nowhere (tests). */
export function silentLogger(): ColonyLogger {
  return createLogger({ name: 'silent', level: 'silent', destination: { write: () => undefined } });
}
