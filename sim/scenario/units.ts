import { z } from 'zod';

/**
 * Units people write in scenario files, parsed to the units the simulator runs on.
 *
 * Durations: "250ms", "30s", "2m", "3h", "500us", or a bare number of seconds → microseconds.
 * Sizes: "4KiB", "64MiB", "1GiB", "512B", or a bare number of bytes → bytes.
 */
const DURATION_UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000, m: 60_000_000, h: 3_600_000_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3 };

export function parseDurationMicros(input: string | number): number {
  if (typeof input === 'number') return Math.round(input * 1_000_000);
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$/.exec(input);
  if (match === null) throw new Error(`'${input}' is not a duration (write e.g. 250ms, 30s, 2m, 3h)`);
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

export function parseSizeBytes(input: string | number): number {
  if (typeof input === 'number') return Math.round(input);
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)\s*$/.exec(input);
  if (match === null) throw new Error(`'${input}' is not a size (write e.g. 512B, 4KiB, 64MiB)`);
  return Math.round(Number(match[1]) * SIZE_UNITS[match[2]!]!);
}

/** A zod schema accepting a duration and producing microseconds, with the parse error as the message. */
export const duration = z.union([z.string(), z.number().nonnegative()]).transform((value, context) => {
  try {
    return parseDurationMicros(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

export const size = z.union([z.string(), z.number().nonnegative()]).transform((value, context) => {
  try {
    return parseSizeBytes(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});
