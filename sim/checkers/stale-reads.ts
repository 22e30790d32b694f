import type { HistoryEvent } from '../history';
import type { CheckedOperation } from './operations';
import { AckedFrontier } from './acked-frontier';
import { describeWrite, operationsByKey, showValues } from './operations';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';
import { formatDuration, mean, percentile, ratio } from './stats';
import type { ConflictMode, WriteRecord } from './supersession';
import { KeyWrites } from './supersession';

/**
 * Stale reads: regular-register freshness. A completed read R is *stale* if some write W was acknowledged
 * before R was invoked, yet R neither shows W nor shows anything that supersedes W (supersession.ts) — R
 * returned something older than a write that had already finished. Writes concurrent with R may or may not be
 * seen; only writes finished before R started count.
 *
 * LWW mode: a value X in R excuses W when X was not completed before W was invoked (X concurrent with or later
 * than W, so X may carry the higher timestamp). The issue's wording was "invoked after W was invoked"; that is
 * stricter than what a correct LWW store guarantees — a write invoked just before W can still be stamped after
 * it — and flags linearizable histories, so the concurrent-or-later rule is used here, as in lost-writes.
 * "Completed" includes an `info` answer: the coordinator stamps X before answering, whatever it answers, so
 * only an X that never got an answer may have been stamped at any time (supersession.ts).
 *
 * Staleness of a stale read = R.invoke.time − (ok time of the earliest-acknowledged write it fails to reflect):
 * how long the read lagged behind what was already durable. Figures: reads, stale reads, their rate, worst,
 * p99 and mean staleness in µs. Verdict `fail` when the stale rate exceeds `maxStaleRate` (default 0: any
 * stale read fails — the promise of R + W > N without sloppy substitution).
 *
 * Phantom reads, counted apart and failing the check whatever `maxStaleRate` allows: a read (final reads
 * included) that shows a value no write could have produced — one never written to the key, one whose write
 * certainly failed, or one whose write was invoked only after the read returned — or, in vclock mode, shows a
 * version beside a sibling that causally supersedes it (a correct store drops a dominated version when it
 * merges), or in LWW mode more than one value. No configuration excuses either — except that clock pruning
 * (core/versioning/prune.ts: past 50 entries, and only entries older than the tombstone grace) can bring a
 * superseded version back as a false sibling from a replica cut off for longer than the grace, and this rule
 * reports that cost too (with Riak's 20 s it did so in partition-500 at 10 K ops/s); before these were counted, only the linearizability checker saw
 * them, and it rejects every sibling read anyway (found by the checker review).
 *
 * Cost: a read that reflects the frontier of acknowledged writes (acked-frontier.ts) costs O(frontier); only
 * reads that may be stale pay the full reachability pass, O(writes) — so O(reads × writes) per key only in
 * the worst case of a history full of stale reads.
 */
export interface StaleReadsOptions {
  mode: ConflictMode;
  /** Highest stale-read rate (stale / completed reads) still judged `ok`; default 0. */
  maxStaleRate?: number;
  maxCounterexamples?: number;
}

export function checkStaleReads(history: readonly HistoryEvent[], options: StaleReadsOptions): CheckerResult {
  const maxStaleRate = options.maxStaleRate ?? 0;
  if (!(maxStaleRate >= 0 && maxStaleRate <= 1)) throw new Error(`stale-reads: maxStaleRate must be in [0, 1], got ${maxStaleRate}`);
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  let reads = 0;
  let phantomReads = 0;
  const staleness: number[] = [];
  for (const [key, operations] of operationsByKey(history)) {
    const writes = new KeyWrites(key, operations, options.mode);
    // Acknowledged writes by ok time: the ones before a read's invoke are a prefix.
    const acked = writes.writes.filter((w) => w.operation.outcome === 'ok').sort((a, b) => a.okTime - b.okTime);
    const frontier = new AckedFrontier(writes);
    for (const read of operations) {
      if (read.f !== 'get' || read.outcome !== 'ok') continue;
      const phantom = phantomIn(writes, read);
      if (phantom !== undefined) {
        phantomReads++;
        counterexamples.add(key, [phantom.write?.operation.invoke.index, read.invoke.index, read.completion?.index], `phantom read: get invoked at ${read.invoke.time} µs returned ${showValues(read.readValues as string[])}: ${phantom.why}`);
      }
      // The final read phase is the lost-writes checker's evidence, taken after quiescence: not a workload read,
      // so not in this rate's numerator or denominator.
      if (read.final) continue;
      reads++;
      const invokeTime = read.invoke.time;
      if (acked.length === 0 || (acked[0] as WriteRecord).okTime >= invokeTime) continue;
      const values = read.readValues as string[];
      const completeTime = (read.completion as HistoryEvent).time;
      // Fast path: reflecting the frontier means reflecting everything acknowledged (acked-frontier.ts).
      frontier.advanceTo(invokeTime);
      if (frontier.readReflectsAll(values, completeTime)) continue;
      const isReflected = writes.reflected(writes.explainers(values, completeTime));
      let oldestMissed: WriteRecord | undefined;
      for (const write of acked) {
        if (write.okTime >= invokeTime) break;
        if (!isReflected(write.id)) {
          oldestMissed = write;
          break;
        }
      }
      if (oldestMissed === undefined) continue;
      const lag = invokeTime - oldestMissed.okTime;
      staleness.push(lag);
      counterexamples.add(
        key,
        [oldestMissed.operation.invoke.index, oldestMissed.operation.completion?.index, read.invoke.index, read.completion?.index],
        `get invoked at ${invokeTime} µs returned ${showValues(values)}, missing ${describeWrite(oldestMissed.operation)} ` +
          `acknowledged ${formatDuration(lag)} earlier, and nothing it returned supersedes that write`,
      );
    }
  }
  const stale = staleness.length;
  const rate = ratio(stale, reads);
  const figures = {
    reads,
    phantomReads,
    staleReads: stale,
    staleRate: rate,
    worstStalenessMicros: staleness.reduce((worst, s) => Math.max(worst, s), 0),
    p99StalenessMicros: percentile(staleness, 99),
    meanStalenessMicros: mean(staleness),
  };
  const fail = phantomReads > 0 || (stale > 0 && stale / reads > maxStaleRate);
  const phantoms = phantomReads > 0 ? `${phantomReads} phantom reads (values a correct store cannot return); ` : '';
  return {
    checker: 'stale-reads',
    verdict: fail ? 'fail' : 'ok',
    summary:
      phantoms +
      (stale === 0
        ? `no stale reads among ${reads} completed reads (${options.mode} mode)`
        : `${stale} of ${reads} reads stale (rate ${rate}${maxStaleRate > 0 ? `, allowed ${maxStaleRate}` : ''}); worst ${formatDuration(figures.worstStalenessMicros)}, p99 ${formatDuration(figures.p99StalenessMicros)}`),
    counterexamples: counterexamples.kept,
    figures,
  };
}

/** Why a completed read shows something no correct store could return (see the file comment), if it does. */
function phantomIn(writes: KeyWrites, read: CheckedOperation): { why: string; write?: WriteRecord } | undefined {
  const values = read.readValues as string[];
  const completeTime = (read.completion as HistoryEvent).time;
  if (writes.mode === 'lww' && values.length > 1) return { why: `last-writer-wins keeps one version, yet the read returned ${values.length}` };
  const shown: WriteRecord[] = [];
  for (const value of values) {
    const write = writes.writeOf(value);
    if (write === undefined) {
      return { why: writes.failedValues.has(value) ? `${value} was written by a write that failed (certainly not applied)` : `${value} was never written to this key` };
    }
    if (write.invokeTime > completeTime) return { why: `${value} was written by ${describeWrite(write.operation)}, invoked after this read returned`, write };
    shown.push(write);
  }
  if (writes.mode === 'vclock' && shown.length > 1) {
    const ancestors = writes.causalAncestors(shown);
    const dominated = shown.find((w) => ancestors.has(w.id));
    if (dominated !== undefined) return { why: `${dominated.value} is shown beside a sibling that causally supersedes it`, write: dominated };
  }
  return undefined;
}
