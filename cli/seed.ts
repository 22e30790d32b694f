/**
 * Whole-number flags: `--seed` for every command (≥ 0), `--runs` for check (≥ 1). yargs turns `--seed abc`
 * into NaN and `--seed ""` into 0; without this a run would happily use seed NaN (or 0) and print a replay
 * command that cannot replay it, and `check --runs abc` would run nothing and call it a pass.
 */
export function parseSeed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return wholeNumber('--seed', value, 0);
}

/**
 * `check --seed`: fast-check keeps 32 bits of its seed, so 4294967299 would quietly run seed 3 (and print a
 * replay of the number typed); above 2^32 − 1 is refused.
 */
export const MAX_CHECK_SEED = 2 ** 32 - 1;

export function parseCheckSeed(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return wholeNumber('--seed', value, 0, MAX_CHECK_SEED);
}

/**
 * `--out` of `sim run` and `check`: a directory name. An empty one (`--out ''`, or `--out` with no value) is
 * refused, as `report capacity` refuses it: '' resolved to the working directory for one command, wrote
 * nothing for another. A repeated `--out` (an array) is left to main.ts, which names the flag given twice.
 */
export function parseOutDir(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value as unknown as string;
  if (typeof value !== 'string' || value.trim() === '') throw new Error('--out: needs a directory name');
  return value;
}

export function parseRuns(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return wholeNumber('--runs', value, 1);
}

/** A flag's value as the text that was typed ('' for anything else), for parsing and for error messages. */
export function flagText(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
}

/** A whole number ≥ `min` (and ≤ `max` when given), or an error naming the flag, the range and what was typed. */
export function wholeNumber(flag: string, value: unknown, min: number, max?: number): number {
  const text = flagText(value);
  const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || (max !== undefined && parsed > max)) {
    const range = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`${flag} must be a whole number ${range}, got '${String(value)}'`);
  }
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

/**
 * A path as one word for a shell, for the replay commands the CLI prints: as it is when it has only safe
 * characters, else in single quotes (a review: a scenario under "with space/" printed a command that broke).
 */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
