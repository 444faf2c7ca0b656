/** `colony demo` (`npm start`): until the leader lands, say what is missing and fail. */
export async function run(_argv: string[]): Promise<number> {
  console.error(
    [
      'colony demo: not available yet.',
      'It needs the leader daemon (broker, ingest, /api) and the agent daemon, which are still being built.',
      'What works today: `npm test` (wire contracts: topics, payloads, codec, timestamps, config, clock).',
    ].join('\n'),
  );
  return 1;
}
