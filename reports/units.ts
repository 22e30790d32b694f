/**
 * Units and number formatting for the capacity report.
 *
 * Sizes are decimal (1 KB = 1000 B, 1 TB = 10^12 B) because that is how the seeds do their arithmetic:
 * 100 billion keys × ~1 KB = 100 TB only holds in decimal units. Rates use K/M/G with the same base.
 */
export type Unit = 'bytes' | 'bytes/s' | 'ops/s' | 'count' | 'nodes' | 'ratio' | 'percent' | 'fraction' | 'days';

const SI: readonly [number, string][] = [
  [1e15, 'P'],
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'K'],
];

/** Three significant figures at most, trailing zeros dropped: 600, 2.34, 0.00819. */
export function sig(value: number, digits = 3): string {
  if (value === 0 || !Number.isFinite(value)) return String(value);
  const text = Number(value.toPrecision(digits));
  return Math.abs(text) >= 1e21 ? text.toExponential(2) : String(text);
}

/** Splits a value into a mantissa and an SI prefix: 1234567 → ["1.23", "M"]; below 1000 the prefix is "". */
function siParts(value: number, digits: number): [string, string] {
  const abs = Math.abs(value);
  for (const [scale, prefix] of SI) if (abs >= scale) return [sig(value / scale, digits), prefix];
  return [sig(value, digits), ''];
}

/**
 * A fraction as a percentage to `digits` significant figures (0.00975 → "0.975 %"), except that a share below 1
 * never reads "100 %": it gets more figures until it does not (0.9997 → "99.97 %" at three, 0.99999 → "99.999 %"
 * at four). Rounded to three figures, 99.97 % availability read "100 %" beside a table that said 99.97 %.
 */
export function percent(fraction: number, digits = 3): string {
  let figures = digits;
  let text = sig(fraction * 100, figures);
  while (fraction < 1 && Number(text) >= 100 && figures < 17) text = sig(fraction * 100, ++figures);
  return `${text} %`;
}

/**
 * Below this many samples a latency summary's p999 is simply its largest sample, and is called that: "max"
 * (as `sim run` prints it, cli/commands/sim-run.ts).
 */
export const P999_MIN_SAMPLES = 1000;

/** What a latency summary's p999 is, by its sample count: "p999", or "max" under 1 000 samples. */
export function tailName(count: number): 'p999' | 'max' {
  return count < P999_MIN_SAMPLES ? 'max' : 'p999';
}

/** 1234567 → "1.23 M"; below 1000 the plain number. */
export function si(value: number, digits = 3): string {
  const [mantissa, prefix] = siParts(value, digits);
  return prefix === '' ? mantissa : `${mantissa} ${prefix}`;
}

/** An integer with thousands separators: 100000000000 → "100,000,000,000". */
export function grouped(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (!Number.isInteger(value)) return sig(value, 4);
  return value.toLocaleString('en-US');
}

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 'bytes': {
      const [mantissa, prefix] = siParts(value, 3);
      return `${mantissa} ${prefix}B`;
    }
    case 'bytes/s':
      return `${formatValue(value, 'bytes')}/s`;
    case 'ops/s':
      return `${si(value)}/s`;
    case 'count':
      return si(value);
    case 'nodes':
      return `${grouped(value)} nodes`;
    case 'ratio':
      return `${sig(value)}×`;
    case 'percent':
      return `${sig(value)} %`;
    case 'fraction':
      return percent(value);
    case 'days':
      return `${sig(value)} days`;
  }
}
