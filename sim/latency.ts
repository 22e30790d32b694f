import type { Random } from '../core/env';

/**
 * Latency distributions for simulated links and disks. Parameters are in milliseconds (what people write in
 * scenario files); samples are in microseconds (what the kernel runs on).
 *
 * - fixed:     always `ms`.
 * - uniform:   between `minMs` and `maxMs`.
 * - lognormal: median `medianMs`, shape `sigma` (0.5 is a typical datacenter RPC; larger gives a fatter tail).
 * - pareto:    minimum `scaleMs`, tail index `shape` (> 1; smaller is heavier), optionally capped at `capMs`.
 */
export type LatencyDistribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number }
  | { kind: 'pareto'; scaleMs: number; shape: number; capMs?: number };

export function validateLatency(distribution: LatencyDistribution, where: string): void {
  const fail = (why: string) => {
    throw new RangeError(`${where}: ${why}`);
  };
  switch (distribution.kind) {
    case 'fixed':
      if (!(distribution.ms >= 0)) fail(`fixed latency ms must be ≥ 0, got ${distribution.ms}`);
      break;
    case 'uniform':
      if (!(distribution.minMs >= 0 && distribution.maxMs >= distribution.minMs)) {
        fail(`uniform latency needs 0 ≤ minMs ≤ maxMs, got ${distribution.minMs}..${distribution.maxMs}`);
      }
      break;
    case 'lognormal':
      if (!(distribution.medianMs > 0 && distribution.sigma >= 0)) {
        fail(`lognormal latency needs medianMs > 0 and sigma ≥ 0, got ${distribution.medianMs}, ${distribution.sigma}`);
      }
      break;
    case 'pareto':
      if (!(distribution.scaleMs > 0 && distribution.shape > 1)) {
        fail(`pareto latency needs scaleMs > 0 and shape > 1, got ${distribution.scaleMs}, ${distribution.shape}`);
      }
      break;
  }
}

/** Draws one latency in whole microseconds (≥ 0). */
export function sampleLatencyMicros(distribution: LatencyDistribution, random: Random): number {
  let ms: number;
  switch (distribution.kind) {
    case 'fixed':
      ms = distribution.ms;
      break;
    case 'uniform':
      ms = distribution.minMs + (distribution.maxMs - distribution.minMs) * random.next();
      break;
    case 'lognormal':
      ms = distribution.medianMs * Math.exp(distribution.sigma * standardNormal(random));
      break;
    case 'pareto': {
      const u = 1 - random.next(); // (0, 1]
      ms = distribution.scaleMs / Math.pow(u, 1 / distribution.shape);
      if (distribution.capMs !== undefined) ms = Math.min(ms, distribution.capMs);
      break;
    }
  }
  return Math.max(0, Math.round(ms * 1000));
}

/** Box–Muller; uses two draws so the stream position is the same whatever the value. */
function standardNormal(random: Random): number {
  const u1 = 1 - random.next();
  const u2 = random.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
