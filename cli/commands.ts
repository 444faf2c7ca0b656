/** The subcommand registry: name -> summary and a lazy loader of a module exporting `run(argv)`. */

export interface CommandModule {
  /** Runs the command; resolves to the exit code (undefined for a daemon that keeps running). */
  run(argv: string[]): Promise<number | undefined>;
}

export interface CommandEntry {
  summary: string;
  load(): Promise<CommandModule>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  agent: {
    summary: 'run the per-unit daemon (jobs, outbox, hardware: sim or pi)',
    load: () => import('./agent.js'),
  },
  leader: {
    summary: 'run the leader daemon (broker, ingest into SQLite, /api)',
    load: () => import('./leader.js'),
  },
  demo: {
    summary: 'start a leader and three simulated units on loopback (what `npm start` runs)',
    load: () => import('./demo.js'),
  },
};
