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
  deploy: {
    summary: 'render the systemd unit and config for this host (--prefix DIR --role leader|agent --unit NAME)',
    load: () => import('./deploy.js'),
  },
  doctor: {
    summary: 'check config, hardware, broker, clock, disk, database and systemd; a remedy per problem',
    load: () => import('./doctor.js'),
  },
  workers: {
    summary: 'list | add NAME (join: MQTT identity + config snippet) | remove NAME | discover',
    load: () => import('./workers.js'),
  },
  analytics: { summary: 'batches, phases, metrics, golden profiles, scores, DSL queries: analytics import|batches|phases|metrics|align|golden|score|query|export', load: () => import('./analytics.js') },
  experiments: {
    summary: 'list | create NAME | assign EXPERIMENT UNIT...',
    load: () => import('./client/commands.js').then((m) => m.experimentsCommand),
  },
  run: {
    summary: 'start a job on units: run JOB --units u1,u2 [--option k=v]',
    load: () => import('./client/commands.js').then((m) => m.runCommand),
  },
  stop: {
    summary: 'stop a job on units: stop JOB --units u1,u2',
    load: () => import('./client/commands.js').then((m) => m.stopCommand),
  },
  update: {
    summary: "change a running job's settings: update JOB --setting k=v --units u1,u2",
    load: () => import('./client/commands.js').then((m) => m.updateCommand),
  },
  logs: {
    summary: 'show (--follow) the cluster log',
    load: () => import('./client/commands.js').then((m) => m.logsCommand),
  },
  export: {
    summary: 'export datasets to a zip: export --datasets od_readings --out FILE',
    load: () => import('./client/commands.js').then((m) => m.exportCommand),
  },
};
