import fc from 'fast-check';
import { stringify } from 'yaml';
import { checkMembership } from './checkers/membership';
import { runScenario, type RunResult } from './run-scenario';
import { scenarioSchema, type Scenario } from './scenario/schema';

/**
 * `dynalab check`: property-based consistency checking. fast-check draws small scenarios — cluster size,
 * N/R/W, conflict mode, sloppy quorum, a fault schedule, a workload — runs each on the simulator, and asserts
 * what that configuration promises:
 *
 * - vector clocks, writes acknowledged only after fsync: no acknowledged write is lost, whatever the faults,
 *   and through a join or a leave (a spare node joins, or a member leaves, mid-run);
 * - last-writer-wins with the clocks in step (no clock jump drawn): no acknowledged write is lost except to a
 *   write that may legitimately have out-stamped it (the lost-writes checker's LWW rule);
 * - R + W > N, strict quorum, no faults, no membership change: no stale reads;
 * - no faults, no membership change: at most one conditional write wins per version;
 * - always: no phantom reads; every acknowledged write's key can be read after the heal; after the heal and the
 *   final read phase (with its read repairs), every key's replicas agree; every join and leave has finished,
 *   catch-up pass included.
 *
 * A failure is shrunk by fast-check to a minimal case (fewer nodes, fewer faults, a smaller workload) and
 * reported with the fast-check seed and path that replay it, and the minimal scenario as YAML for `sim run`.
 */
export interface DrawnFault {
  atSeconds: number;
  kind: 'isolate' | 'fraction' | 'crash' | 'restart-all' | 'heal' | 'clock-jump' | 'loss';
  node: number;
  amount: number;
  tear: boolean;
}

/** A membership change during the run: the spare `n<nodes>` joins, or member `node` (mod nodes) leaves. */
export interface DrawnChange {
  kind: 'none' | 'join' | 'leave';
  atSeconds: number;
  node: number;
}

export interface DrawnCase {
  nodes: number;
  n: number;
  r: number;
  w: number;
  conflict: 'vclock' | 'lww';
  sloppyQuorum: boolean;
  rate: number;
  keys: number;
  faults: DrawnFault[];
  change: DrawnChange;
  /** A second change, which may overlap the first (a second review found overlapping changes losing writes). */
  second: DrawnChange;
  /**
   * Slow links: 0–100 ms one way, so round trips reach two thirds of the 300 ms request timeout and the
   * quarter-timeout stand-in timers fire on healthy owners — no fault, just slow. A scenario fuzzer found two
   * broken promises there the usual 0.5 ms links never reach (two cas winners; final reads answered by stand-ins).
   */
  slowLinks: boolean;
  seed: number;
  /**
   * A bug injected on purpose, invisible to the promises: the configuration still claims vector clocks and
   * fsynced acknowledgements, so the check must notice the store breaking them.
   */
  sabotage: 'none' | 'ack-before-fsync' | 'lww';
}

export interface PropertyCheckOptions {
  runs: number;
  seed: number;
  /** fast-check replay path from an earlier failure. */
  path?: string;
  /** Break the store on purpose (for demonstrating that check catches it). */
  sabotage?: 'ack-before-fsync' | 'lww';
  onRun?: (index: number, drawn: DrawnCase, result: RunResult) => void;
}

export interface PropertyCheckReport {
  ok: boolean;
  runs: number;
  seed: number;
  failure?: {
    path: string;
    violations: string[];
    minimal: DrawnCase;
    scenarioYaml: string;
    replay: string;
  };
}

const DURATION_SECONDS = 14;
const QUIESCENCE_SECONDS = 5;

// 'none' first: shrinking heads for it. Late enough that a change's catch-up pass ends before the load does.
const drawnChange: fc.Arbitrary<DrawnChange> = fc.record({
  kind: fc.constantFrom('none', 'join', 'leave') as fc.Arbitrary<DrawnChange['kind']>,
  atSeconds: fc.integer({ min: 1, max: DURATION_SECONDS - QUIESCENCE_SECONDS - 3 }),
  node: fc.nat(15),
});

export function drawnCaseArbitrary(sabotage?: PropertyCheckOptions['sabotage']): fc.Arbitrary<DrawnCase> {
  const fault = fc.record({
    atSeconds: fc.integer({ min: 1, max: DURATION_SECONDS - QUIESCENCE_SECONDS - 1 }),
    kind: fc.constantFrom('isolate', 'fraction', 'crash', 'restart-all', 'heal', 'clock-jump', 'loss') as fc.Arbitrary<DrawnFault['kind']>,
    node: fc.nat(15),
    amount: fc.integer({ min: 1, max: 9 }),
    tear: fc.boolean(),
  });
  return fc
    .record({
      nodes: fc.integer({ min: 3, max: 6 }),
      n: fc.integer({ min: 1, max: 3 }),
      r: fc.integer({ min: 1, max: 3 }),
      w: fc.integer({ min: 1, max: 3 }),
      conflict: sabotage === undefined ? fc.constantFrom('vclock' as const, 'lww' as const) : fc.constant('vclock' as const),
      sloppyQuorum: fc.boolean(),
      rate: fc.integer({ min: 20, max: 120 }),
      keys: fc.integer({ min: 3, max: 30 }),
      faults: fc.array(fault, { maxLength: 5 }),
      change: drawnChange,
      second: drawnChange,
      slowLinks: fc.boolean(),
      seed: fc.nat(1_000_000),
      sabotage: fc.constant(sabotage ?? 'none'),
    })
    .map((c) => {
      // Keep N ≤ nodes and R, W ≤ N by clamping (so shrinking stays within valid configurations).
      const n = Math.min(c.n, c.nodes);
      return { ...c, n, r: Math.min(c.r, n), w: Math.min(c.w, n) };
    });
}

export function caseToScenario(drawn: DrawnCase): Scenario {
  const node = (index: number) => `n${index % drawn.nodes}`;
  const faults: Record<string, unknown>[] = drawn.faults.map((f) => {
    const at = `${f.atSeconds}s`;
    switch (f.kind) {
      case 'isolate':
        return { at, partition: { isolate: node(f.node) } };
      case 'fraction':
        return { at, partition: { fraction: Math.min(0.9, f.amount / 10) } };
      case 'crash':
        return { at, crash: { nodes: [node(f.node)] }, mode: f.tear ? 'tear-unsynced' : 'drop-unsynced' };
      case 'restart-all':
        return { at, restart: 'all' };
      case 'heal':
        return { at, heal: true };
      case 'clock-jump':
        return { at, clock: { nodes: [node(f.node)], jumpMs: (f.tear ? -1 : 1) * f.amount * 20 } };
      case 'loss':
        return { at, loss: { probability: f.amount / 10, for: '1s' } };
    }
  });
  const changes = membershipChanges(drawn);
  faults.push(...changes);
  return scenarioSchema.parse({
    name: 'property-check',
    description: 'drawn by dynalab check',
    seed: drawn.seed,
    duration: `${DURATION_SECONDS}s`,
    quiescence: `${QUIESCENCE_SECONDS}s`,
    cluster: {
      nodes: drawn.nodes, vnodes: 16, n: drawn.n, r: drawn.r, w: drawn.w, conflict: drawn.sabotage === 'lww' ? 'lww' : drawn.conflict,
      sloppyQuorum: drawn.sloppyQuorum, requestTimeout: '300ms',
      storage: { memtableBytes: '64KiB', syncWrites: drawn.sabotage !== 'ack-before-fsync' },
      // A change: gossip every 200 ms (settle = 5 rounds), so the switch and its catch-up pass fit in the run.
      ...(changes.length > 0 ? { spareNodes: changes.some((c) => c.join !== undefined) ? 1 : 0, ringGossipInterval: '200ms' } : {}),
    },
    network: { latency: drawn.slowLinks ? { kind: 'uniform', minMs: 0, maxMs: 100 } : { kind: 'lognormal', medianMs: 0.5, sigma: 0.6 } },
    workload: {
      rate: drawn.rate, clients: 8, keys: drawn.keys, distribution: 'uniform',
      mix: { get: 0.45, put: 0.4, delete: 0.1, cas: 0.05 }, valueBytes: { min: 8, max: 64 }, readModifyWrite: 0.7,
    },
    faults,
    // Stale reads fail the file's run only where they break a promise (as brokenPromises judges), so `sim run`
    // on a written failure fails for the reason the check did.
    checks: ['lost-writes', promisesFreshReads(drawn) ? 'stale-reads' : { 'stale-reads': { maxStaleRate: 1 } }, 'siblings', ...(promisesOneCasWinner(drawn) ? ['cas-winners'] : [])],
    // The sabotaged store resolves by timestamp; the checks still judge the promise it claims (vector clocks).
    ...(drawn.sabotage === 'lww' ? { judgeConflictAs: drawn.conflict } : {}),
  });
}

/** What this configuration promises, judged on its run. Returns the broken promises (empty = all kept). */
export function brokenPromises(drawn: DrawnCase, result: RunResult): string[] {
  const broken: string[] = [];
  const verdict = (name: string) => result.checks.find((c) => c.checker === name);
  const lost = verdict('lost-writes');
  if (drawn.conflict === 'vclock') {
    if (lost?.verdict === 'fail') broken.push(`vector clocks lost an acknowledged write: ${lost.counterexamples[0]?.explanation ?? lost.summary}`);
  } else if (!drawn.faults.some((f) => f.kind === 'clock-jump') && lost?.verdict === 'fail') {
    // Every clock reads true time (the drawn scenarios set no skew or drift): a write acknowledged at t carries a
    // timestamp ≤ t, and only a write invoked after t can out-stamp it — which the checker's LWW rule allows.
    broken.push(`last-writer-wins with the clocks in step lost an acknowledged write: ${lost.counterexamples[0]?.explanation ?? lost.summary}`);
  }
  // Every fault is healed and every crashed node restarted before the final reads, which retry for seconds:
  // a key no final read could get through to is the store failing to serve it, and its acknowledged writes
  // go unjudged — never a kept promise (found by the checker review: 'unknown' passed).
  if (lost?.verdict === 'unknown') broken.push(`after the heal the final reads could not judge every acknowledged write: ${lost.summary}`);
  const stale = verdict('stale-reads');
  const phantoms = stale?.figures.phantomReads ?? 0;
  if (phantoms > 0) {
    broken.push(`a read returned what a correct store cannot return: ${stale?.counterexamples.find((c) => c.explanation.startsWith('phantom'))?.explanation ?? stale?.summary}`);
  } else if (promisesFreshReads(drawn) && stale?.verdict === 'fail') {
    broken.push(`R+W>N with no faults served a stale read: ${stale.counterexamples[0]?.explanation ?? stale.summary}`);
  }
  const cas = verdict('cas-winners');
  if (promisesOneCasWinner(drawn) && cas?.verdict === 'fail') {
    broken.push(`with no faults and no ring change, two conditional writes won one version: ${cas.counterexamples[0]?.explanation ?? cas.summary}`);
  }
  if (result.figures.finalDivergentKeys > 0) {
    broken.push(`${result.figures.finalDivergentKeys} keys still have disagreeing replicas after the heal and the final read phase`);
  }
  // Every fault is healed by the end: a join or leave still waiting (its copy or its catch-up pass) is wedged.
  for (const unfinished of checkMembership(result.figures.membership?.changes ?? []).counterexamples) broken.push(unfinished.explanation);
  return broken;
}

/**
 * R + W > N with strict quorum, no faults and no membership change: every read sees every write acknowledged
 * before it began. (While a ring switch spreads, a coordinator on the new ring and one on the old can use
 * quorums that do not meet.)
 */
function promisesFreshReads(drawn: DrawnCase): boolean {
  return drawn.r + drawn.w > drawn.n && !drawn.sloppyQuorum && drawn.faults.length === 0 && membershipChanges(drawn).length === 0;
}

/** Conditional writes take turns at the key's first owner: one winner per version while every node agrees on it. */
function promisesOneCasWinner(drawn: DrawnCase): boolean {
  return drawn.faults.length === 0 && membershipChanges(drawn).length === 0;
}

/**
 * The drawn changes as scenario faults. The spare joins at most once; each leaver is a different node that no
 * drawn fault crashes (a scenario refuses a leave by a node that is down), and leaves never take the ring below
 * N. A change that cannot be made so is left out.
 */
function membershipChanges(drawn: DrawnCase): { at: string; join?: { node: string }; leave?: { node: string } }[] {
  const out: { at: string; join?: { node: string }; leave?: { node: string } }[] = [];
  const crashed = new Set(drawn.faults.filter((f) => f.kind === 'crash').map((f) => f.node % drawn.nodes));
  const leaving = new Set<number>();
  for (const { kind, atSeconds, node } of [drawn.change, drawn.second]) {
    if (kind === 'join' && !out.some((c) => c.join !== undefined)) out.push({ at: `${atSeconds}s`, join: { node: `n${drawn.nodes}` } });
    if (kind !== 'leave' || drawn.nodes - leaving.size - 1 < drawn.n) continue;
    const candidates = [...Array(drawn.nodes).keys()].filter((i) => !crashed.has(i) && !leaving.has(i));
    if (candidates.length === 0) continue;
    const leaver = candidates[node % candidates.length]!;
    leaving.add(leaver);
    out.push({ at: `${atSeconds}s`, leave: { node: `n${leaver}` } });
  }
  return out;
}

export function runPropertyCheck(options: PropertyCheckOptions): PropertyCheckReport {
  let index = 0;
  const property = fc.property(drawnCaseArbitrary(options.sabotage), (drawn) => {
    // Checkers judge by the declared configuration, not by what a sabotage secretly changed.
    const { result } = runScenario(caseToScenario(drawn), { checkerMode: drawn.conflict });
    options.onRun?.(index++, drawn, result);
    const broken = brokenPromises(drawn, result);
    if (broken.length > 0) throw new PromiseBroken(broken);
  });
  const details = fc.check(property, { numRuns: options.runs, seed: options.seed, ...(options.path ? { path: options.path } : {}), endOnFailure: false });
  if (!details.failed) return { ok: true, runs: details.numRuns, seed: options.seed };
  const minimal = details.counterexample![0] as DrawnCase;
  const error = details.errorInstance;
  const violations = error instanceof PromiseBroken ? error.violations : [String((error as Error | undefined)?.message ?? error)];
  const scenario = caseToScenario(minimal);
  return {
    ok: false,
    runs: details.numRuns,
    seed: options.seed,
    failure: {
      path: details.counterexamplePath ?? '',
      violations,
      minimal,
      scenarioYaml: scenarioToYaml(minimal),
      replay: `npx dynalab check --seed ${options.seed} --path ${details.counterexamplePath}${options.sabotage ? ` --sabotage ${options.sabotage}` : ''} --runs 1   (or: npx dynalab sim run <the YAML above> --seed ${scenario.seed})`,
    },
  };
}

/** The minimal case as a scenario file a person can read, edit and `sim run`. */
export function scenarioToYaml(drawn: DrawnCase): string {
  const scenario = caseToScenario(drawn);
  const plain = {
    name: scenario.name,
    description: scenario.description,
    seed: scenario.seed,
    duration: `${scenario.duration / 1e6}s`,
    quiescence: `${scenario.quiescence / 1e6}s`,
    cluster: {
      nodes: scenario.cluster.nodes, vnodes: scenario.cluster.vnodes, n: scenario.cluster.n, r: scenario.cluster.r, w: scenario.cluster.w,
      conflict: scenario.cluster.conflict, sloppyQuorum: scenario.cluster.sloppyQuorum, requestTimeout: `${scenario.cluster.requestTimeout / 1000}ms`,
      ...(scenario.cluster.spareNodes > 0 ? { spareNodes: scenario.cluster.spareNodes } : {}),
      ...(scenario.cluster.ringGossipInterval !== undefined ? { ringGossipInterval: `${scenario.cluster.ringGossipInterval / 1000}ms` } : {}),
      storage: { memtableBytes: scenario.cluster.storage.memtableBytes, syncWrites: scenario.cluster.storage.syncWrites },
    },
    network: { latency: scenario.network.latency },
    workload: { ...scenario.workload, stopAt: undefined },
    faults: scenario.faults.map((f) => ({ ...f, at: `${f.at / 1e6}s`, ...(f.loss ? { loss: { probability: f.loss.probability, for: `${f.loss.for / 1e6}s` } } : {}) })),
    checks: scenario.checks,
    ...(scenario.judgeConflictAs !== undefined ? { judgeConflictAs: scenario.judgeConflictAs } : {}),
  };
  return sabotageNote(drawn) + stringify(JSON.parse(JSON.stringify(plain)));
}

/** A comment heading a sabotaged case: what runs differs on purpose from what is promised. */
function sabotageNote(drawn: DrawnCase): string {
  if (drawn.sabotage === 'lww') {
    return '# dynalab check --sabotage lww: the store resolves conflicts by timestamp (cluster.conflict: lww) while the\n' +
      '# checks judge the vector-clock promise it claims (judgeConflictAs: vclock), as the check did.\n';
  }
  if (drawn.sabotage === 'ack-before-fsync') {
    return '# dynalab check --sabotage ack-before-fsync: replicas acknowledge before fsync (syncWrites: false) while the\n' +
      '# checks judge the promise of fsynced acknowledgements (no acknowledged write lost).\n';
  }
  return '';
}

class PromiseBroken extends Error {
  constructor(readonly violations: string[]) {
    super(violations.join('; '));
    this.name = 'PromiseBroken';
  }
}
