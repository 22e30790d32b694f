import type { CheckerResult } from './result';
import { formatDurationPair } from './stats';

/**
 * Convergence after heal: do the replicas come to agree once the faults stop, and how long does it take?
 *
 * The input is not the client history but samples of replica state the simulator takes as it runs — at each
 * sample time, how many keys have replicas that disagree. Replicas have converged at the first sample from
 * which `divergentKeys` is 0 *and stays 0* through the last sample; the convergence time is that sample's time
 * minus `healTime` (0 if they already agreed before the heal and never diverged again). Resolution is the
 * sampling interval: the true time lies between the previous sample and this one.
 *
 * Verdicts: `fail` if the last sample, at least `thresholdMicros` after the heal, still shows divergence, or
 * convergence took longer than `thresholdMicros`; `unknown` if there is no sample at or after the heal, or the
 * samples end divergent before the threshold is up (too early to judge); else `ok`.
 */
export interface ConvergenceSample {
  /** Virtual time, µs. */
  time: number;
  /** Keys whose replicas (in the preference list) do not all hold the same versions. */
  divergentKeys: number;
  /** How many keys the sample looked at (for messages); unknown when absent. */
  sampledKeys?: number;
}

export interface ConvergenceOptions {
  /** When the last fault was healed, µs. */
  healTime: number;
  /** Longest acceptable time from heal to convergence, µs. */
  thresholdMicros: number;
}

export function checkConvergence(samples: readonly ConvergenceSample[], options: ConvergenceOptions): CheckerResult {
  const { healTime, thresholdMicros } = options;
  if (!Number.isFinite(healTime)) throw new Error(`convergence: healTime must be a finite time in µs, got ${healTime}`);
  if (!(thresholdMicros >= 0)) throw new Error(`convergence: thresholdMicros must be ≥ 0, got ${thresholdMicros}`);
  samples.forEach((sample, i) => {
    if (!(Number.isInteger(sample.divergentKeys) && sample.divergentKeys >= 0)) {
      throw new Error(`convergence: sample ${i} has divergentKeys ${sample.divergentKeys} (want a count ≥ 0)`);
    }
    const previous = samples[i - 1];
    if (previous !== undefined && sample.time < previous.time) throw new Error(`convergence: sample ${i} at ${sample.time} µs is earlier than sample ${i - 1} at ${previous.time} µs`);
  });
  const after = samples.filter((s) => s.time >= healTime);
  const base = { checker: 'convergence', counterexamples: [] };
  if (after.length === 0) {
    return { ...base, verdict: 'unknown', summary: `no replica-state sample at or after the heal (${healTime} µs)`, figures: { samples: samples.length, healTime } };
  }
  const maxDivergentAfterHeal = after.reduce((m, s) => Math.max(m, s.divergentKeys), 0);
  const figures: Record<string, number> = { samples: samples.length, healTime, maxDivergentAfterHeal };
  // The start of the final all-zero run of samples.
  let start = samples.length;
  while (start > 0 && (samples[start - 1] as ConvergenceSample).divergentKeys === 0) start--;
  const last = samples[samples.length - 1] as ConvergenceSample;
  // healTime 0: nothing was healed (a run without faults), so the time counts from the start.
  const since = healTime === 0 ? 'after the start (nothing to heal)' : 'after heal';
  if (start === samples.length) {
    const [ran, threshold] = formatDurationPair(last.time - healTime, thresholdMicros);
    // Still divergent at the end; if the run ended before the threshold was up, it may yet have converged in time.
    const tooEarly = last.time - healTime < thresholdMicros;
    return {
      ...base,
      verdict: tooEarly ? 'unknown' : 'fail',
      summary: tooEarly
        ? `${divergentOf(last)} still divergent when sampling ended, ${ran} ${since}: too early to judge against the ${threshold} threshold (lengthen quiescence)`
        : `replicas never converged: ${divergentOf(last)} still divergent at the last sample, ${ran} ${since} (threshold ${threshold})`,
      figures: { ...figures, divergentAtEnd: last.divergentKeys },
    };
  }
  const convergedAt = (samples[start] as ConvergenceSample).time;
  const convergenceMicros = Math.max(0, convergedAt - healTime);
  figures.convergenceMicros = convergenceMicros;
  const tooSlow = convergenceMicros > thresholdMicros;
  const [took, threshold] = formatDurationPair(convergenceMicros, thresholdMicros);
  return {
    ...base,
    verdict: tooSlow ? 'fail' : 'ok',
    summary: tooSlow
      ? `replicas converged ${took} ${since}, beyond the ${threshold} threshold`
      : convergenceMicros === 0 && healTime !== 0
        ? `replicas already agreed at the first sample after the heal and stayed so (threshold ${threshold})`
        : `replicas converged ${took} ${since} (threshold ${threshold})`,
    figures,
  };
}

/** "8 keys", or "8 of 300 sampled keys" when the sample says how many it looked at. */
function divergentOf(sample: ConvergenceSample): string {
  return sample.sampledKeys === undefined ? `${sample.divergentKeys} keys` : `${sample.divergentKeys} of ${sample.sampledKeys} sampled keys`;
}
