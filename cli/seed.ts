/**
 * Whole-number flags: `--seed` for every command (≥ 0), `--runs` for check (≥ 1). yargs turns `--seed abc`
 * into NaN and `--seed ""` into 0; without this a run would happily use seed NaN (or 0) and print a replay
 * command that cannot replay it, and `check --runs abc` would run nothing and call it a pass.
 */
export function parseSeed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return wholeNumber('--seed', value, 0);
}

export function parseRuns(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return wholeNumber('--runs', value, 1);
}

function wholeNumber(flag: string, value: unknown, min: number): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) throw new Error(`${flag} must be a whole number ≥ ${min}, got '${String(value)}'`);
  return parsed;
}

/**
 * yargs `.fail` for the sim and check commands: a bad flag prints one line and exits 2, like an invalid
 * scenario, instead of yargs' usage dump and exit 1 — which these commands use for "a check failed".
 */
export function badFlagsExit2(message: string | null | undefined, error: Error | undefined): never {
  console.error(`dynalab: ${message ?? error?.message ?? 'bad arguments'} (see --help)`);
  process.exit(2);
}
