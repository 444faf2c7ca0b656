/** `colony leader`: placeholder until the leader daemon lands (leader/). */
export async function run(_argv: string[]): Promise<number> {
  console.error('colony leader: not available yet (the leader daemon is being built).');
  return 1;
}
