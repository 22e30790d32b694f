import { loadBalance, type LoadBalance } from './load-balance';
import { murmur3_32 } from '../core/ring';
import { dataKey } from '../core/replication/keys';
import { bytesEqual, etag } from '../core/versioning';
import type { StorageNode } from '../core/node';
import { runChecker, type CheckerResult, type ConvergenceSample } from './checkers';
import { sharingOperationsByKey } from './checkers/operations';
import { percentileOfSorted, sortedSamples } from './checkers/stats';
import { bytes, DEFAULT_HINT_INTERVAL_MICROS, SimCluster } from './cluster';
import { HistoryRecorder } from './history';
import { Nemesis, type NemesisLogEntry } from './nemesis';
import { ScenarioError } from './scenario/load';
import type { Scenario } from './scenario/schema';
import { scenarioProblems, workloadStopAt } from './scenario/semantics';
import { EventTag } from './simulator';
import { LogHistogram } from './log-histogram';
import { Workload, type WorkloadFigures } from './workload';
import { versionSum } from '../core/membership/ring-state';

/**
 * Runs one scenario on the simulator, start to finish:
 *
 *   0 ─── workload + scheduled faults ─── stopAt ─ heal all ─ quiescence ─── duration ─ final reads ─ checks
 *
 * At `stopAt` (default: duration − quiescence) the client load stops and every fault is ended (network healed,
 * crashed nodes restarted, disk faults and loss cleared). The quiescence period lets hinted handoff and
 * in-flight repairs finish; then every written key is read once more with R = N (the final read phase the
 * lost-writes checker judges). Replica agreement is sampled every 500 ms after the last heal for the
 * convergence checker. Everything is driven by the seed; `wallMicros` is the only figure from the real world
 * and is supplied by the caller, so this module stays deterministic.
 */
export interface RunOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Judge the history as this conflict mode instead of the cluster's (used to expose injected bugs). */
  checkerMode?: 'vclock' | 'lww';
  /** Called roughly once per simulated second. */
  onProgress?: (simulatedMicros: number, totalMicros: number, operations: number) => void;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface RunResult {
  scenario: string;
  seed: number;
  verdict: 'ok' | 'fail' | 'unknown';
  checks: CheckerResult[];
  /**
   * Counters and distributions over the scenario's duration — taken before the final read phase, which has its
   * own `finalReads` — except `events` and `simulatedSeconds` (the whole simulation) and `finalDivergentKeys`.
   */
  figures: {
    operations: { arrivals: number; shed: number; completed: number; ok: number; fail: number; info: number };
    latency: Record<'all' | 'get' | 'put' | 'delete' | 'cas', LatencySummary>;
    /**
     * Fraction of client requests served, by the window they arrived in (a read-modify-write or cas is one
     * request; a cas conflict is served; failed, unknown-outcome and shed requests are not).
     */
    availability: { duringFaults: number | null; outsideFaults: number | null; faultSeconds: number };
    /**
     * Restarts whose boot failed (the node stayed down; the final heal retries it on a healthy disk), and the
     * nodes still down at the end of the run (a node that could never come back): both also in the nemesis log.
     */
    restarts: { failed: { node: string; atSeconds: number; error: string }[]; downAtEnd: string[] };
    /**
     * Hinted handoff over the run. `stored` counts hinted writes a stand-in took; `refreshed` those among them
     * that re-stamped a hint already waiting for the same owner and key. `delivered` and `expired` count hints
     * whose removal was durable. With healthy disks, `stored − refreshed` hints were created and each ends
     * delivered, expired, or pending at the end (or lost with a stand-in's unsynced bytes in a crash). Disk
     * faults break that sum: a failed hint write is still counted in `stored`, and a write stalled behind a
     * full memtable is not yet visible to the refresh check.
     */
    hints: { stored: number; refreshed: number; delivered: number; expired: number; /** Hints for an owner that left the ring, replaced by hints for the current owners. */ rehomed: number; pendingAtEnd: number };
    readRepairs: number;
    /** Merkle exchanges started, keys they compared by hash, sibling sets sent, keys whose copy changed. */
    antiEntropy: { exchanges: number; keysCompared: number; keysSent: number; keysRepaired: number };
    substitutions: number;
    casConflicts: number;
    network: { sent: number; delivered: number; droppedPartition: number; droppedLoss: number; droppedDeadHost: number; bytesSent: number };
    /** Over every node's disk: bytes written (WAL, tables, compactions), file syncs, and a sync's time from call to done. */
    disk: { bytesWritten: number; syncs: number; syncP50Ms: number; syncP99Ms: number };
    events: number;
    simulatedSeconds: number;
    /** The final read phase (every written key, R = N): reads that succeeded, and failed attempts (each retried). Not in `operations`. */
    finalReads: { ok: number; fail: number };
    /** Keys whose owners still disagree after the final read phase (and its read repairs). */
    finalDivergentKeys: number;
    /** How evenly the ring members carried the run's work (sim/load-balance.ts); null without running members. */
    load: LoadBalance | null;
    /** Present only when ring gossip is on (spare nodes or join/leave faults). */
    membership?: MembershipFigures;
  };
  nemesis: NemesisLogEntry[];
  traceHash: string;
}

export interface MembershipFigures {
  /** Each join or leave: when it was announced, how long its transfer and the whole change took, keys moved. */
  /** totalSeconds: announcement to switch; caughtUpSeconds: announcement to the end of the catch-up pass (null until then). */
  changes: { kind: 'join' | 'leave'; node: string; atSeconds: number; transferSeconds: number | null; totalSeconds: number | null; caughtUpSeconds: number | null; keys: number; streams: number }[];
  keysTransferred: number;
  /** Seconds from the last change's completion until every running node held the same ring state (null: never). */
  ringConvergedAfterSeconds: number | null;
  /** Sum of member record versions in the merged ring state, and the members of the final ring. */
  ringVersion: number;
  members: string[];
}

export interface ScenarioRun {
  result: RunResult;
  history: HistoryRecorder;
  /** Every client request (shed ones included), in the order they ended: when it arrived, its key, whether it was served. */
  requests: WorkloadFigures['requests'];
}

export function runScenario(scenario: Scenario, options: RunOptions = {}): ScenarioRun {
  const seed = options.seed ?? scenario.seed;
  // The loader has checked these already; a scenario built in code (or changed by a variant) is checked here.
  const problems = scenarioProblems(scenario);
  if (problems.length > 0) throw new ScenarioError(problems.map((problem) => `${problem.path.join('.')}: ${problem.message}`));
  const stopAt = workloadStopAt(scenario);
  const c = scenario.cluster;
  const clockRandom = `${seed}/clocks`;
  const cluster = new SimCluster({
    seed,
    nodes: c.nodes,
    n: c.n,
    r: c.r,
    w: c.w,
    conflict: c.conflict,
    vnodes: c.vnodes,
    sloppyQuorum: c.sloppyQuorum,
    hintedHandoff: c.hintedHandoff,
    readRepair: c.readRepair,
    requestTimeoutMicros: c.requestTimeout,
    hintWindowMicros: c.hintWindow,
    antiEntropyIntervalMicros: c.antiEntropyInterval,
    spareNodes: c.spareNodes,
    ringGossipIntervalMicros: ringGossipInterval(scenario),
    network: {
      latency: scenario.network.latency,
      lossProbability: scenario.network.loss,
      duplicateProbability: scenario.network.duplicate,
      reorder: scenario.network.reorder,
    },
    storage: { memtableBytes: c.storage.memtableBytes, compaction: c.storage.compaction, syncWrites: c.storage.syncWrites, tombstoneGraceMicros: c.storage.tombstoneGrace, blockCacheBytes: 256 * 1024 },
    machine: (index, id) => {
      const fixed = scenario.clocks.nodes[id];
      const draw = seededUnit(clockRandom, index);
      const offsetMs = fixed?.offsetMs ?? (draw[0] * 2 - 1) * scenario.clocks.skewMs;
      const driftPpm = fixed?.driftPpm ?? (draw[1] * 2 - 1) * scenario.clocks.driftPpm;
      return { clockOffsetMicros: Math.round(offsetMs * 1000), clockDriftPpm: driftPpm, disk: { syncLatency: c.storage.syncLatency, writeBytesPerSecond: c.storage.writeMegabytesPerSecond * 1e6 } };
    },
  });
  if (cluster.startErrors.length > 0) throw new Error(`nodes failed to start: ${JSON.stringify(cluster.startErrors)}`);
  const simulator = cluster.simulator;
  const history = new HistoryRecorder();
  // A client gives up on a request after 10 s, or 4 request timeouts if longer: past every deadline of the
  // store's own, so only a request whose coordinator crashed mid-way is ever given up on.
  // Final reads wait at least 2 s for a key's owners (see Workload), longer if the scenario's timeout is longer.
  const finalReadTimeout = Math.max(2_000_000, c.requestTimeout);
  const workload = new Workload(cluster, scenario.workload, simulator.random.fork('workload'), history, stopAt, Math.max(10_000_000, 4 * c.requestTimeout), finalReadTimeout);
  const nemesis = new Nemesis(cluster, simulator.random.fork('nemesis'));
  nemesis.changesUntilMicros = scenario.duration; // the final reads begin then
  nemesis.schedule(scenario.faults.filter((fault) => fault.at < stopAt));
  workload.start();
  const membership = ringGossipInterval(scenario) > 0 ? watchRing(cluster, scenario.duration) : undefined;

  simulator.scheduleAt(stopAt, EventTag.Control, () => {
    workload.stop();
    nemesis.healAll();
    nemesis.closeWindows();
  });

  // Replica agreement after the last heal, sampled over (at most) 300 written keys spread over all of them, and
  // only keys whose writes have settled (none in flight, the last ended a request timeout ago): a write still
  // reaching its last replica is not divergence, and counting it timed "convergence" by when the load stopped
  // (found by the third simulator review: a run without faults failed, converged 30.5 s after the start).
  // Each round looks at a different 300, so a key once found divergent is looked at again in every later round
  // until its replicas agree: a zero then means "these 300 agree, and so does every key seen divergent before"
  // (found by the checker review: with repair off, rounds of fresh keys read zero by luck and a run whose
  // replicas never converged passed). The last sample, at the end, looks at every written key.
  const samples: ConvergenceSample[] = [];
  const sampleEvery = 500_000;
  // A key is settled a request timeout after its last write ended — and with hinted handoff one hint round
  // later still (the interval, its jitter of up to a quarter, and the offer's own request timeout): a write
  // acknowledged by W replicas whose last copy went to a stand-in reaches that owner only in the stand-in's next
  // round. Judged sooner, a handover in progress read as divergence: with W = 1 on slow links a sample a second
  // after the load stopped found one, and 7 of 12 seeds of a healthy run "converged 14 s after the heal".
  const settleMicros = c.requestTimeout + (c.hintedHandoff ? Math.ceil(1.25 * DEFAULT_HINT_INTERVAL_MICROS) + c.requestTimeout : 0);
  let sampleRound = 0;
  let watched: string[] = [];
  const sample = () => {
    // Not during the final read phase (a run shorter than one interval had its first sample land there).
    if (simulator.nowMicros > scenario.duration) return;
    // Without a heal (no fault, or none healed) from the start: the replicas must still come to agree.
    if (simulator.nowMicros >= nemesis.lastHealMicros) {
      const now = simulator.nowMicros;
      const fresh = workload.settledSample(300, now, settleMicros, sampleRound++);
      // A watched key with a write in flight again is carried over, not counted: a write still reaching its
      // last replica is not divergence (the same rule as for fresh keys).
      const settled = new Set(fresh);
      const carried: string[] = [];
      for (const key of watched) {
        if (workload.isSettled(key, now, settleMicros)) settled.add(key);
        else carried.push(key);
      }
      const keys = [...settled];
      watched = carried;
      samples.push(judgeAgreement(now, cluster, keys, watched));
    }
    if (simulator.nowMicros + sampleEvery <= scenario.duration) simulator.schedule(sampleEvery, EventTag.Control, sample);
  };
  simulator.scheduleAt(sampleEvery, EventTag.Control, sample);

  for (let t = 1_000_000; t < scenario.duration; t += 1_000_000) {
    simulator.run({ untilMicros: t });
    options.onProgress?.(t, scenario.duration, workload.figures.operations);
  }
  simulator.run({ untilMicros: scenario.duration });
  workload.abandonPending();
  // The last sample, at the very end, looks at every written key, settled or not: the load stopped a full
  // quiescence ago, so a write still unsettled is one whose coordinator crashed (its client gave up or will),
  // and the copies it left are divergence like any other. At the end also when the duration is off the 0.5 s
  // grid (else a run that never converged read 'too early to judge', not 'fail').
  if (simulator.nowMicros >= nemesis.lastHealMicros) {
    if (samples.length > 0 && samples[samples.length - 1]!.time === simulator.nowMicros) samples.pop();
    const keys = [...workload.touchedKeys];
    samples.push(judgeAgreement(simulator.nowMicros, cluster, keys));
  }
  // The run's figures are taken here, before the final read phase: its R = N reads of every written key (and
  // the read repairs they start) are the checkers' measurement, not load the scenario put on the cluster.
  const runFigures = figures(cluster, workload, nemesis);
  // Membership changes are judged finished only if they finished before this moment (checkMembership).
  const finalReadsStartMicros = simulator.nowMicros;

  // Final read phase: every written key, R = N, one reader per key in parallel. A read that fails (a node
  // still restarting, a replica still recovering when quiescence is short) is retried every 200 ms until the
  // deadline: a key without a completed final read cannot be judged, and with none judged the verdict is
  // unknown. Only the ok reads count for the checkers; the failed ones stay in the history as they happened.
  let outstanding = 0;
  let index = 0;
  // Long enough for 20 attempts per key, each a whole final-read wait and a retry pause (a 15 % lossy network
  // fails an R = N read about 5 times in 10, and a lost message costs the whole wait; found by a scenario fuzzer:
  // budgeted in request timeouts, a key got 3 attempts once final reads waited 2 s, and lost-writes said
  // unknown). The phase ends as soon as every key has been read, so the bound only matters for keys that
  // cannot be read.
  const finalRetryMicros = 200_000;
  const finalDeadline = simulator.nowMicros + 20 * (finalReadTimeout + finalRetryMicros) + 1_000_000;
  const readFinal = (key: string, reader: ReturnType<Workload['finalReader']>): void =>
    workload.doGet(reader, key, true, (read) => {
      if (read === undefined && simulator.nowMicros + finalRetryMicros < finalDeadline) {
        simulator.schedule(finalRetryMicros, EventTag.Control, () => readFinal(key, reader));
      } else outstanding--;
    }, c.n);
  for (const key of [...workload.touchedKeys].sort()) {
    outstanding++;
    readFinal(key, workload.finalReader(index++));
  }
  while (outstanding > 0 && simulator.nowMicros < finalDeadline) {
    if (simulator.run({ untilMicros: Math.min(finalDeadline, simulator.nowMicros + 100_000) }) === 0 && simulator.pendingEvents === 0) break;
  }

  // Read repair from the final reads needs a moment to land; then judge agreement once more over every key.
  simulator.run({ untilMicros: simulator.nowMicros + 1_000_000 });
  const finalDivergentKeys = judgeAgreement(simulator.nowMicros, cluster, [...workload.touchedKeys]).divergentKeys;

  const membershipFigures = membership?.();
  // The checkers share one pairing and grouping of the history (sim/checkers/operations.ts).
  const checks = sharingOperationsByKey(history.events, () =>
    scenario.checks.map((check) => {
      const [name, settings] = typeof check === 'string' ? [check, {}] : (Object.entries(check)[0] as [string, Record<string, unknown>]);
      return runChecker(name, history.events, {
        mode: options.checkerMode ?? scenario.judgeConflictAs ?? c.conflict,
        samples,
        healTime: nemesis.lastHealMicros,
        loadStopTime: stopAt,
        thresholdMicros: scenario.quiescence,
        changes: membershipFigures?.changes ?? [],
        skippedChanges: nemesis.skippedChanges,
        finalReadsStartSeconds: finalReadsStartMicros / 1e6,
        ...settings,
      });
    }),
  );
  const verdict = checks.some((check) => check.verdict === 'fail') ? 'fail' : checks.some((check) => check.verdict === 'unknown') ? 'unknown' : 'ok';

  const result: RunResult = {
    scenario: scenario.name,
    seed,
    verdict,
    checks,
    figures: {
      ...runFigures,
      finalReads: { ...workload.figures.finalReads },
      events: simulator.deliveredEvents,
      simulatedSeconds: simulator.nowMicros / 1e6,
      finalDivergentKeys,
      ...(membershipFigures ? { membership: membershipFigures } : {}),
    },
    nemesis: nemesis.log,
    traceHash: simulator.traceHash(),
  };
  return { result, history, requests: workload.figures.requests };
}

function figures(cluster: SimCluster, workload: Workload, nemesis: Nemesis): Omit<RunResult['figures'], 'finalDivergentKeys' | 'finalReads' | 'events' | 'simulatedSeconds'> {
  const w = workload.figures;
  const summary = (samples: number[]): LatencySummary => {
    const sorted = sortedSamples(samples);
    const ms = (p: number) => Math.round(percentileOfSorted(sorted, p) / 10) / 100;
    return { count: samples.length, p50Ms: ms(50), p99Ms: ms(99), p999Ms: ms(99.9) };
  };
  const all = [...w.latencyMicros.get, ...w.latencyMicros.put, ...w.latencyMicros.delete, ...w.latencyMicros.cas];
  const inFault = (time: number) => nemesis.faultWindows.some((window) => time >= window.start && time < window.end);
  // Per client request, attributed to the window it arrived in; see WorkloadFigures.requests for what counts.
  let faultOk = 0;
  let faultTotal = 0;
  let calmOk = 0;
  let calmTotal = 0;
  for (const request of w.requests) {
    if (inFault(request.time)) {
      faultTotal++;
      if (request.served) faultOk++;
    } else {
      calmTotal++;
      if (request.served) calmOk++;
    }
  }
  // Counters include crashed incarnations (see SimCluster.counterTotals); pending hints are what the running
  // nodes hold at the end.
  const counters = cluster.counterTotals();
  let pending = 0, bytesWritten = 0, syncs = 0;
  const syncMicros = new LogHistogram();
  for (const id of cluster.ids) {
    pending += cluster.node(id)?.pendingHintCount() ?? 0;
    const disk = cluster.world.machine(id).rawDisk;
    bytesWritten += disk.counters.bytesWritten;
    syncs += disk.counters.syncs;
    syncMicros.merge(disk.syncMicros);
  }
  const syncMs = (p: number) => Math.round(syncMicros.percentile(p) / 10) / 100;
  const completions = w.operations;
  const okCount = w.ok;
  const n = cluster.network.counters;
  const infoCount = w.info;
  return {
    load: loadBalance(cluster.nodeLoads()),
    operations: { arrivals: w.arrivals, shed: w.shed, completed: completions, ok: okCount, fail: completions - okCount - infoCount, info: infoCount },
    latency: {
      all: summary(all),
      get: summary(w.latencyMicros.get),
      put: summary(w.latencyMicros.put),
      delete: summary(w.latencyMicros.delete),
      cas: summary(w.latencyMicros.cas),
    },
    availability: {
      duringFaults: faultTotal === 0 ? null : faultOk / faultTotal,
      outsideFaults: calmTotal === 0 ? null : calmOk / calmTotal,
      faultSeconds: nemesis.faultWindows.reduce((sum, window) => sum + (window.end - window.start), 0) / 1e6,
    },
    restarts: {
      failed: nemesis.failedRestarts.map((r) => ({ node: r.node, atSeconds: r.time / 1e6, error: r.error })),
      downAtEnd: nemesis.downNodes,
    },
    hints: { stored: counters.hintsStored, refreshed: counters.hintsRefreshed, delivered: counters.hintsDelivered, expired: counters.hintsExpired, rehomed: counters.hintsRehomed, pendingAtEnd: pending },
    readRepairs: counters.readRepairs,
    antiEntropy: {
      exchanges: counters.antiEntropyExchanges,
      keysCompared: counters.antiEntropyKeysCompared,
      keysSent: counters.antiEntropyKeysSent,
      keysRepaired: counters.antiEntropyKeysRepaired,
    },
    substitutions: counters.substitutions,
    casConflicts: counters.casConflicts,
    network: { sent: n.sent, delivered: n.delivered, droppedPartition: n.droppedPartition, droppedLoss: n.droppedLoss, droppedDeadHost: n.droppedDeadHost, bytesSent: n.bytesSent },
    disk: { bytesWritten, syncs, syncP50Ms: syncMs(50), syncP99Ms: syncMs(99) },
  };
}

/**
 * A convergence sample: how many of `keys` have owners that disagree (compared by etag of each owner's local
 * sibling set; pushed onto `found` when given), and how many it judged. Stored bytes are compared first: equal
 * bytes are equal sets (the encoding is canonical), so only owners whose bytes differ pay for decoding and etags
 * (which ignore clock micros, so different bytes may still agree). A key with an owner down (or a copy that
 * cannot be read) is not judged — and not counted as agreeing: a sample whose every key had a down owner
 * judged nothing, and the checker leaves it out (sampledKeys 0).
 */
function judgeAgreement(time: number, cluster: SimCluster, keys: readonly string[], found?: string[]): ConvergenceSample {
  let divergent = 0;
  let unjudged = 0;
  for (const key of keys) {
    const owners = cluster.owners(key);
    const keyBytes = bytes(key);
    const stored = dataKey(keyBytes);
    let firstNode: StorageNode | undefined;
    let firstRaw: Uint8Array | undefined;
    let firstTag: string | undefined;
    try {
      for (const owner of owners) {
        const node = cluster.node(owner);
        if (node === undefined) {
          unjudged++; // a down owner: this key is not judged
          break;
        }
        if (firstNode === undefined) {
          firstNode = node;
          firstRaw = node.engine.get(stored);
          continue;
        }
        const raw = node.engine.getView(stored); // compared at once; firstRaw above is a copy (it outlives reads)
        if (raw === undefined ? firstRaw === undefined : firstRaw !== undefined && bytesEqual(raw, firstRaw)) continue;
        firstTag ??= etag(firstNode.localSiblings(keyBytes));
        if (etag(node.localSiblings(keyBytes)) !== firstTag) {
          divergent++;
          found?.push(key);
          break;
        }
      }
    } catch {
      // An owner's copy cannot be read (a disk read fault, a corrupt block the scenario injected): not judged.
      // Thrown, it ended the run (found by the workload review).
      unjudged++;
    }
  }
  return { time, divergentKeys: divergent, sampledKeys: keys.length - unjudged, ...(unjudged > 0 ? { unjudgedKeys: unjudged } : {}) };
}

/** Two uniform draws in [0, 1) for node `index`, hashed from a stream name (no shared state, so adding a node never shifts another's draw). */
function seededUnit(path: string, index: number): [number, number] {
  const bytes = new TextEncoder().encode(`${path}/${index}`);
  return [murmur3_32(bytes, 1) / 4294967296, murmur3_32(bytes, 2) / 4294967296];
}

/** Ring gossip round: explicit, or 1 s when the scenario has spare nodes or join/leave faults, else off. */
function ringGossipInterval(scenario: Scenario): number {
  const changes = scenario.cluster.spareNodes > 0 || scenario.faults.some((f) => f.join !== undefined || f.leave !== undefined);
  return scenario.cluster.ringGossipInterval ?? (changes ? 1_000_000 : 0);
}

/**
 * Samples ring-state agreement every 100 ms (only in runs with membership on) and returns a function that
 * builds the membership figures at the end.
 */
function watchRing(cluster: SimCluster, durationMicros: number): () => MembershipFigures {
  let convergedSince: number | null = null;
  const every = 100_000;
  const sample = () => {
    const converged = cluster.ringConverged();
    if (!converged) convergedSince = null;
    else if (convergedSince === null) convergedSince = cluster.simulator.nowMicros;
    if (cluster.simulator.nowMicros + every <= durationMicros) cluster.simulator.schedule(every, EventTag.Control, sample);
  };
  cluster.simulator.schedule(every, EventTag.Control, sample);
  return () => {
    const changes: MembershipFigures['changes'] = [];
    for (const id of cluster.ids) {
      // A node stamps its changes on its own clock; figures are in true (simulated) time, so skew, drift and
      // steps of that clock do not show up as negative or stretched times.
      const clock = cluster.world.machine(id).clock;
      for (const change of cluster.membershipChanges(id)) {
        const announced = clock.trueMicrosAt(change.announcedAtMicros);
        const finished = change.finishedAtMicros === null ? null : clock.trueMicrosAt(change.finishedAtMicros);
        changes.push({
          kind: change.kind,
          node: change.node,
          atSeconds: announced / 1e6,
          transferSeconds: finished === null ? null : Math.max(0, finished - clock.trueMicrosAt(change.transferStartedAtMicros)) / 1e6,
          totalSeconds: finished === null ? null : Math.max(0, finished - announced) / 1e6,
          caughtUpSeconds: change.caughtUpAtMicros === null ? null : Math.max(0, clock.trueMicrosAt(change.caughtUpAtMicros) - announced) / 1e6,
          keys: change.keys,
          streams: change.streams,
        });
      }
    }
    changes.sort((a, b) => a.atSeconds - b.atSeconds || (a.node < b.node ? -1 : 1));
    const lastDone = Math.max(0, ...changes.map((c) => (c.totalSeconds === null ? 0 : c.atSeconds + c.totalSeconds)));
    const state = cluster.ringState();
    return {
      changes,
      keysTransferred: changes.reduce((sum, c) => sum + c.keys, 0),
      ringConvergedAfterSeconds: convergedSince === null || changes.some((c) => c.totalSeconds === null) ? null : Math.max(0, convergedSince / 1e6 - lastDone),
      ringVersion: versionSum(state),
      members: cluster.ringMembers(),
    };
  };
}
