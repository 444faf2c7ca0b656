#!/usr/bin/env node
/**
 * `colony`: one command with subcommands. Each subcommand lives in its own module and is imported
 * only when asked for, so `colony agent` never loads the leader's code and vice versa.
 */
import { COMMANDS } from './commands.js';

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: colony <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun "colony <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`colony: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await cmd.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`colony: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
