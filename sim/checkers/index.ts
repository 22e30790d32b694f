import type { HistoryEvent } from '../history';
import { checkCasWinners } from './cas-winners';
import type { ConvergenceSample } from './convergence';
import { checkConvergence } from './convergence';
import { checkLinearizability } from './linearizability';
import { checkLostWrites } from './lost-writes';
import { checkLwwLostOverwrites } from './lww-lost-overwrites';
import { checkMembership, type MembershipChangeFigure, type SkippedMembershipChange } from './membership';
import type { CheckerResult } from './result';
import { checkSession } from './session';
import { checkSiblings } from './siblings';
import { checkStaleReads } from './stale-reads';
import type { ConflictMode } from './supersession';

/**
 * The checkers by the names scenario files use (`checks:` in the scenario schema), each behind one calling
 * convention: `run(history, options)`. `options` merges what the runner knows (the cluster's conflict `mode`;
 * for convergence, the replica-state `samples` and `healTime`) with the scenario's per-check settings (flat
 * numbers/strings/booleans). Each entry validates the settings it reads and names the bad one in its error.
 */
export type { CheckerResult, Counterexample, Verdict } from './result';
export type { ConvergenceSample } from './convergence';
export type { ConflictMode } from './supersession';
export { checkCasWinners, checkConvergence, checkLinearizability, checkLostWrites, checkLwwLostOverwrites, checkSession, checkSiblings, checkStaleReads };

export interface CheckerRunOptions {
  /** The cluster's conflict mode (scenario `cluster.conflict`, also accepted as `conflict`); default 'vclock'. */
  mode?: ConflictMode;
  /** convergence: replica-state samples taken during the run. */
  samples?: readonly ConvergenceSample[];
  /** convergence: time of the last heal, µs. */
  healTime?: number;
  /** convergence: when the workload stopped issuing requests, µs. */
  loadStopTime?: number;
  /** membership: the run's joins and leaves (none when membership is off). */
  changes?: readonly MembershipChangeFigure[];
  /** membership: joins and leaves the scenario asked for that the nemesis could not make. */
  skippedChanges?: readonly SkippedMembershipChange[];
  /** membership: when the final read phase began (s); a change must have finished before it. */
  finalReadsStartSeconds?: number;
  /** Checker settings (e.g. maxStepsPerKey, maxStaleRate, maxSiblings, thresholdMicros, maxCounterexamples). */
  [setting: string]: unknown;
}

export interface Checker {
  name: CheckerName;
  run(history: readonly HistoryEvent[], options?: CheckerRunOptions): CheckerResult;
}

export const CHECKER_NAMES = ['lost-writes', 'stale-reads', 'linearizability', 'session', 'convergence', 'siblings', 'lww-lost-overwrites', 'cas-winners', 'membership'] as const;
export type CheckerName = (typeof CHECKER_NAMES)[number];

function modeOf(options: CheckerRunOptions, checker: string): ConflictMode {
  // `conflict` is the scenario schema's name for the same setting.
  const mode = options.mode ?? options.conflict ?? 'vclock';
  if (mode !== 'vclock' && mode !== 'lww') throw new Error(`${checker}: option 'mode' must be 'vclock' or 'lww', got ${JSON.stringify(mode)}`);
  return mode;
}

function numberOption(options: CheckerRunOptions, name: string, checker: string): number | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`${checker}: option '${name}' must be a number, got ${JSON.stringify(value)}`);
  return value;
}

function requiredNumber(options: CheckerRunOptions, name: string, checker: string): number {
  const value = numberOption(options, name, checker);
  if (value === undefined) throw new Error(`${checker}: option '${name}' is required`);
  return value;
}

export const CHECKERS: Readonly<Record<CheckerName, Checker>> = {
  'lost-writes': {
    name: 'lost-writes',
    run: (history, options = {}) =>
      checkLostWrites(history, { mode: modeOf(options, 'lost-writes'), maxCounterexamples: numberOption(options, 'maxCounterexamples', 'lost-writes') }),
  },
  'stale-reads': {
    name: 'stale-reads',
    run: (history, options = {}) =>
      checkStaleReads(history, {
        mode: modeOf(options, 'stale-reads'),
        maxStaleRate: numberOption(options, 'maxStaleRate', 'stale-reads'),
        maxCounterexamples: numberOption(options, 'maxCounterexamples', 'stale-reads'),
      }),
  },
  linearizability: {
    name: 'linearizability',
    run: (history, options = {}) =>
      checkLinearizability(history, {
        maxStepsPerKey: numberOption(options, 'maxStepsPerKey', 'linearizability'),
        maxSteps: numberOption(options, 'maxSteps', 'linearizability'),
        maxCounterexamples: numberOption(options, 'maxCounterexamples', 'linearizability'),
      }),
  },
  session: {
    name: 'session',
    run: (history, options = {}) =>
      checkSession(history, { mode: modeOf(options, 'session'), maxCounterexamples: numberOption(options, 'maxCounterexamples', 'session') }),
  },
  convergence: {
    name: 'convergence',
    // Judges replica-state samples, not the history (which it ignores).
    run: (_history, options = {}) => {
      if (!Array.isArray(options.samples)) throw new Error(`convergence: option 'samples' (replica-state samples) is required`);
      return checkConvergence(options.samples as readonly ConvergenceSample[], {
        healTime: requiredNumber(options, 'healTime', 'convergence'),
        thresholdMicros: requiredNumber(options, 'thresholdMicros', 'convergence'),
        ...(typeof options.loadStopTime === 'number' ? { loadStopTime: options.loadStopTime } : {}),
      });
    },
  },
  siblings: {
    name: 'siblings',
    run: (history, options = {}) =>
      checkSiblings(history, { maxSiblings: numberOption(options, 'maxSiblings', 'siblings'), maxCounterexamples: numberOption(options, 'maxCounterexamples', 'siblings') }),
  },
  'lww-lost-overwrites': {
    name: 'lww-lost-overwrites',
    run: (history, options = {}) => {
      const settings = {
        maxLost: numberOption(options, 'maxLost', 'lww-lost-overwrites'),
        maxCounterexamples: numberOption(options, 'maxCounterexamples', 'lww-lost-overwrites'),
      };
      // Under vector clocks nothing is ordered by timestamp, so nothing can be lost to one; the LWW rule the
      // checker applies would count a blind delete (which supersedes nothing, by design) as a lost write (a
      // review: a vclock quickstart failed with 10). lost-writes judges vector-clock runs.
      if (modeOf(options, 'lww-lost-overwrites') === 'vclock') {
        return {
          checker: 'lww-lost-overwrites', verdict: 'ok', counterexamples: [],
          summary: 'vector clocks: no write is ordered by timestamp, so none can be lost to one (lost-writes judges this run)',
          figures: { acknowledgedWritesChecked: 0, lostOverwrites: 0, fraction: 0, keysWithoutFinalRead: 0, acknowledgedWritesUnchecked: 0 },
        };
      }
      return checkLwwLostOverwrites(history, settings);
    },
  },
  membership: {
    name: 'membership',
    // Judges the run's membership figures, not the history (which it ignores).
    run: (_history, options = {}) => checkMembership(options.changes ?? [], options.skippedChanges ?? [], options.finalReadsStartSeconds ?? Infinity),
  },
  'cas-winners': {
    name: 'cas-winners',
    run: (history, options = {}) => checkCasWinners(history, { maxCounterexamples: numberOption(options, 'maxCounterexamples', 'cas-winners') }),
  },
};

/** Runs the named checker; an unknown name is an error that lists the known ones. */
export function runChecker(name: string, history: readonly HistoryEvent[], options: CheckerRunOptions = {}): CheckerResult {
  const checker = (CHECKERS as Record<string, Checker | undefined>)[name];
  if (checker === undefined) throw new Error(`unknown checker '${name}' (known: ${CHECKER_NAMES.join(', ')})`);
  return checker.run(history, options);
}
