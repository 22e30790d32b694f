import { z } from 'zod';

/**
 * Units people write in scenario files, parsed to the units the simulator runs on.
 *
 * Durations: "250ms", "30s", "2m", "3h", "500us", or a bare number of seconds → microseconds.
 * Sizes: "4KiB", "64MiB", "1GiB", "512B", or a bare number of bytes → bytes.
 */
const DURATION_UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3 };

const DURATION_EXAMPLE = 'write e.g. 250ms, 20s';
const SIZE_EXAMPLE = 'write e.g. 512B, 4KiB, 64MiB';

/**
 * A bare number must be finite and not negative: YAML reads `.inf` and `1e400` as Infinity and `.nan` as NaN,
 * which zod's number refused with a bare "Invalid input" that named no problem (a review).
 */
function checkNumber(input: number, what: 'duration' | 'size', example: string): void {
  if (!Number.isFinite(input)) throw new Error(`${input} is not a ${what} (${example})`);
  if (input < 0) throw new Error(`${input} is not a ${what}: a ${what} is 0 or more (${example})`);
}

export function parseDurationMicros(input: string | number): number {
  if (typeof input === 'number') {
    checkNumber(input, 'duration', DURATION_EXAMPLE);
    return Math.round(input * 1_000_000);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/.exec(input);
  if (match === null) throw new Error(`'${input}' is not a duration (write e.g. 250ms, 30s, 2m, 3h)`);
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

export function parseSizeBytes(input: string | number): number {
  if (typeof input === 'number') {
    checkNumber(input, 'size', SIZE_EXAMPLE);
    return Math.round(input);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)\s*$/.exec(input);
  if (match === null) throw new Error(`'${input}' is not a size (write e.g. 512B, 4KiB, 64MiB)`);
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!]!);
}

/**
 * Any number reaches the parser (zod's own number refuses Infinity and NaN as "Invalid input"), so an infinite,
 * NaN or negative one is refused with a message that says which.
 */
const anyNumber = z.custom<number>((value) => typeof value === 'number');

/** How a value that is neither text nor a number reads in a message. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** A zod schema accepting a duration and producing microseconds, with the parse error as the message. */
export const duration = z.union([z.string(), anyNumber], { error: (issue) => `${shown(issue.input)} is not a duration (${DURATION_EXAMPLE})` }).transform((value, context) => {
  try {
    return parseDurationMicros(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const size = z.union([z.string(), anyNumber], { error: (issue) => `${shown(issue.input)} is not a size (${SIZE_EXAMPLE})` }).transform((value, context) => {
  try {
    return parseSizeBytes(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
