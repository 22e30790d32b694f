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
 * A sample that looked at no key (`sampledKeys` 0: every key it might have judged was still being written, or
 * had an owner down) is no evidence of agreement, and is left out: counted as "0 divergent", such samples right
 * after a heal let a run that was still divergent read as converged at once (found by a review). When the
 * samples left out fall where convergence would be timed — the last divergent sample was within the threshold,
 * the first agreeing one beyond it — the replicas may have agreed in time or not. If the load was still running
 * through that gap (every key kept being written, so none could be judged), agreement is timed from when the
 * load stopped instead, and said so; otherwise the verdict is `unknown`.
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
  /** How many keys the sample judged; 0 = no evidence either way (left out). Unknown when absent. */
  sampledKeys?: number;
  /** Keys the sample could not judge because an owner was down (for messages; not in sampledKeys). */
  unjudgedKeys?: number;
}

export interface ConvergenceOptions {
  /** When the last fault was healed, µs. */
  healTime: number;
  /** Longest acceptable time from heal to convergence, µs. */
  thresholdMicros: number;
  /**
   * When the workload stopped issuing requests, µs (optional). Keys written without pause are never settled, so
   * no sample judges them until the load stops; agreement is then timed from here (see checkConvergence).
   */
  loadStopTime?: number;
}

export function checkConvergence(all: readonly ConvergenceSample[], options: ConvergenceOptions): CheckerResult {
  const { healTime, thresholdMicros } = options;
  if (!Number.isFinite(healTime)) throw new Error(`convergence: healTime must be a finite time in µs, got ${healTime}`);
  if (!(thresholdMicros >= 0)) throw new Error(`convergence: thresholdMicros must be ≥ 0, got ${thresholdMicros}`);
  all.forEach((sample, i) => {
    if (!(Number.isInteger(sample.divergentKeys) && sample.divergentKeys >= 0)) {
      throw new Error(`convergence: sample ${i} has divergentKeys ${sample.divergentKeys} (want a count ≥ 0)`);
    }
    const previous = all[i - 1];
    if (previous !== undefined && sample.time < previous.time) throw new Error(`convergence: sample ${i} at ${sample.time} µs is earlier than sample ${i - 1} at ${previous.time} µs`);
  });
  // The samples that judged at least one key: the evidence.
  const samples = all.filter((s) => s.sampledKeys !== 0);
  const after = samples.filter((s) => s.time >= healTime);
  const base = { checker: 'convergence', counterexamples: [] };
  if (after.length === 0) {
    const emptyAfter = all.some((s) => s.time >= healTime);
    const summary = emptyAfter
      ? `no replica-state sample at or after the heal (${healTime} µs) judged any key (every key still being written, or an owner down)`
      : `no replica-state sample at or after the heal (${healTime} µs)`;
    return { ...base, verdict: 'unknown', summary, figures: { samples: all.length, healTime } };
  }
  const maxDivergentAfterHeal = after.reduce((m, s) => Math.max(m, s.divergentKeys), 0);
  const figures: Record<string, number> = { samples: all.length, healTime, maxDivergentAfterHeal };
  if (all.length > samples.length) figures.samplesWithoutKeys = all.length - samples.length;
  // The start of the final all-zero run of samples.
  let start = samples.length;
  while (start > 0 && (samples[start - 1] as ConvergenceSample).divergentKeys === 0) start--;
  const last = samples[samples.length - 1] as ConvergenceSample;
  // Keys the last sample could not judge (an owner down at the end) are named, not counted as agreeing.
  const unjudged = last.unjudgedKeys ? `; ${last.unjudgedKeys} keys not judged at the last sample (an owner was down)` : '';
  if (last.unjudgedKeys) figures.unjudgedAtEnd = last.unjudgedKeys;
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
        ? `${divergentOf(last)} still divergent when sampling ended, ${ran} ${since}: too early to judge against the ${threshold} threshold (lengthen quiescence)${unjudged}`
        : `replicas never converged: ${divergentOf(last)} still divergent at the last sample, ${ran} ${since} (threshold ${threshold})${unjudged}`,
      figures: { ...figures, divergentAtEnd: last.divergentKeys },
    };
  }
  const convergedAt = (samples[start] as ConvergenceSample).time;
  const convergenceMicros = Math.max(0, convergedAt - healTime);
  figures.convergenceMicros = convergenceMicros;
  const tooSlow = convergenceMicros > thresholdMicros;
  const [took, threshold] = formatDurationPair(convergenceMicros, thresholdMicros);
  if (tooSlow) {
    // The last divergent sample before the agreeing run: if it lay within the threshold and samples that judged
    // nothing were left out after it, the replicas may have agreed in time — nothing looked.
    const lastDivergent = samples[start - 1];
    const lastDivergentAt = lastDivergent === undefined ? healTime : Math.max(lastDivergent.time, healTime);
    const skipped = all.some((s) => s.sampledKeys === 0 && s.time > lastDivergentAt && s.time < convergedAt);
    if (skipped && lastDivergentAt - healTime <= thresholdMicros) {
      const loadStop = options.loadStopTime;
      if (loadStop !== undefined && loadStop > lastDivergentAt && convergedAt - Math.max(loadStop, healTime) <= thresholdMicros) {
        const afterLoadStopMicros = convergedAt - Math.max(loadStop, healTime);
        const [agreed, limit] = formatDurationPair(afterLoadStopMicros, thresholdMicros);
        return {
          ...base,
          verdict: 'ok',
          summary: `replicas agreed by ${agreed} after the load stopped (threshold ${limit}); no sample judged a key between the ${healTime === 0 ? 'start' : 'heal'} and then — every key was still being written${unjudged}`,
          figures: { ...figures, afterLoadStopMicros },
        };
      }
      const [from] = formatDurationPair(lastDivergentAt - healTime, thresholdMicros);
      const divergedLast = lastDivergentAt <= healTime ? (healTime === 0 ? 'the start' : 'the heal') : `the last divergent sample (${from} ${since})`;
      return {
        ...base,
        verdict: 'unknown',
        summary: `replicas agreed by ${took} ${since}, but no sample between ${divergedLast} and then judged a key: cannot tell against the ${threshold} threshold${unjudged}`,
        figures,
      };
    }
  }
  return {
    ...base,
    verdict: tooSlow ? 'fail' : 'ok',
    summary: tooSlow
      ? `replicas converged ${took} ${since}, beyond the ${threshold} threshold${unjudged}`
      : convergenceMicros === 0 && healTime !== 0
        ? `replicas already agreed at the first sample after the heal and stayed so (threshold ${threshold})${unjudged}`
        : `replicas converged ${took} ${since} (threshold ${threshold})${unjudged}`,
    figures,
  };
}

/** "8 keys", or "8 of 300 sampled keys" when the sample says how many it looked at. */
function divergentOf(sample: ConvergenceSample): string {
  return sample.sampledKeys === undefined ? `${sample.divergentKeys} keys` : `${sample.divergentKeys} of ${sample.sampledKeys} sampled keys`;
}
