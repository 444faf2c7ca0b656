/**
 * `npm run bench -- <name> [args]`: run one benchmark (or all with no name). Each benchmark is a module
 * in bench/ that prints its figures; none of them assert anything.
 */
const BENCHES: Record<string, () => Promise<{ run(argv: string[]): Promise<void> }>> = {};

export function registerBench(name: string, load: () => Promise<{ run(argv: string[]): Promise<void> }>): void {
  BENCHES[name] = load;
}

async function loadAll(): Promise<void> {
  const { readdirSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const here = dirname(fileURLToPath(import.meta.url));
  for (const f of readdirSync(here)) {
    if (!f.endsWith('.js') || f === 'index.js') continue;
    const name = f.replace(/\.js$/, '');
    registerBench(name, () => import(pathToFileURL(join(here, f)).href));
  }
}

async function main(): Promise<void> {
  await loadAll();
  const [name, ...rest] = process.argv.slice(2);
  const names = name ? [name] : Object.keys(BENCHES);
  for (const n of names) {
    const load = BENCHES[n];
    if (!load) {
      console.error(`bench: unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    console.log(`== bench ${n} ==`);
    await (await load()).run(rest);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
