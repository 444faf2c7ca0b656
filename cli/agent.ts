/** `colony agent`: placeholder until the agent daemon lands (agent/). */
export async function run(_argv: string[]): Promise<number> {
  console.error('colony agent: not available yet (the agent daemon is being built).');
  return 1;
}
