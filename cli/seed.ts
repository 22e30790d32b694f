/**
 * `--seed` for every command: a whole number ≥ 0. yargs turns `--seed abc` into NaN; without this a run would
 * happily use seed NaN and print a replay command that cannot replay it.
 */
export function parseSeed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seed = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number ≥ 0, got '${String(value)}'`);
  return seed;
}
