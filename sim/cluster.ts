import type { NodeId } from '../core/env';
import { buildRing, preferenceList, type Ring } from '../core/ring';
import { mergeStates, placementRing, EMPTY_STATE, fingerprint, type RingState } from '../core/membership/ring-state';
import type { MembershipChange } from '../core/membership/membership';
import { StorageNode, zeroCounters, type NodeConfig, type NodeCounters, type ReadResult, type WriteOptions, type WriteResult } from '../core/node';
import type { CrashMode } from './disk';
import type { NodeLoad } from './load-balance';
import type { LinkConditions } from './network';
import { EventTag } from './simulator';
import { SimWorld, type MachineOptions } from './world';

/**
 * A simulated cluster: M storage nodes on one SimWorld, each built from its machine's environment exactly as
 * real mode builds a node from files and sockets. Crash and restart act on the machine (losing unsynced
 * bytes) and rebuild the node from what its disk kept.
 *
 * The client driver (`put`/`get`/… and the blocking `await*` helpers for tests) calls a node's API
 * in-process, like a client library colocated with that node; requests between nodes cross the simulated
 * network.
 */
export interface SimClusterOptions {
  seed: number | string;
  nodes: number;
  n?: number;
  r?: number;
  w?: number;
  conflict?: 'vclock' | 'lww';
  vnodes?: number;
  sloppyQuorum?: boolean;
  hintedHandoff?: boolean;
  readRepair?: boolean;
  requestTimeoutMicros?: number;
  hintWindowMicros?: number;
  hintIntervalMicros?: number;
  /** Hints offered per delivery round (default 256). */
  hintBatch?: number;
  /** Merkle anti-entropy exchange interval per node (µs); 0 or absent = off. */
  antiEntropyIntervalMicros?: number;
  network?: Partial<LinkConditions>;
  /** Per-node machine options (clock skew, disk latency, disk faults), by node index. */
  machine?: (index: number, id: NodeId) => MachineOptions;
  storage?: NodeConfig['storage'];
  /** Extra machines that start outside the ring (n<nodes>…), ready to `join`. Default 0. */
  spareNodes?: number;
  /** Ring-state gossip round (µs). Default: 1 s when there are spare nodes, else 0 (off: static ring, as before). */
  ringGossipIntervalMicros?: number;
  /** Membership mechanisms switched off on purpose (tests that show what they are for). */
  brokenMembership?: NodeConfig['brokenMembership'];
  /** A member's listing reply budget in key bytes (default 4 MiB): small, to test the cut without ~50 K keys. */
  listingReplyBytes?: number;
}

/** How often a stand-in offers its hints, unless SimClusterOptions.hintIntervalMicros says otherwise (a node adds up to ¼ of it as jitter). */
export const DEFAULT_HINT_INTERVAL_MICROS = 1_000_000;

export class SimCluster {
  readonly world: SimWorld;
  readonly ids: NodeId[];
  private readonly nodes = new Map<NodeId, StorageNode | null>();
  private readonly config: Omit<NodeConfig, 'id'>;
  readonly startErrors: { node: NodeId; error: string }[] = [];
  private ringCache: { print: string; ring: Ring } | undefined;
  /** Counters of node incarnations that crashed (see counterTotals). */
  private readonly retiredCounters: NodeCounters = zeroCounters();
  /** Replica reads + writes of each node's crashed incarnations (see nodeLoads). */
  private readonly retiredReplicaOperations = new Map<NodeId, number>();
  /** Joins and leaves that crashed incarnations carried out (a restarted node starts a new list). */
  private readonly retiredChanges = new Map<NodeId, MembershipChange[]>();

  constructor(readonly options: SimClusterOptions) {
    if (!(Number.isInteger(options.nodes) && options.nodes >= 1)) throw new RangeError(`nodes must be a positive integer, got ${options.nodes}`);
    this.world = new SimWorld(options.seed, options.network);
    const spares = options.spareNodes ?? 0;
    if (!(Number.isInteger(spares) && spares >= 0)) throw new RangeError(`spareNodes must be a whole number, got ${spares}`);
    this.ids = Array.from({ length: options.nodes + spares }, (_, i) => `n${i}`);
    // Spare machines exist (and take client requests, like any node) but are not ring members until they join.
    const members = this.ids.slice(0, options.nodes).map((id) => ({ id }));
    const partitioning = { kind: 'random-tokens', vnodes: options.vnodes ?? 64 } as const;
    const ringGossip = options.ringGossipIntervalMicros ?? (spares > 0 ? 1_000_000 : 0);
    this.config = {
      members,
      partitioning,
      // The ring is pure data every node would compute identically; build it once and share it.
      ring: buildRing(members, partitioning),
      n: options.n ?? Math.min(3, options.nodes),
      r: options.r ?? Math.min(2, options.nodes),
      w: options.w ?? Math.min(2, options.nodes),
      conflict: options.conflict ?? 'vclock',
      sloppyQuorum: options.sloppyQuorum ?? true,
      hintedHandoff: options.hintedHandoff ?? true,
      readRepair: options.readRepair ?? true,
      requestTimeoutMicros: options.requestTimeoutMicros ?? 500_000,
      ...(options.hintBatch === undefined ? {} : { hintBatch: options.hintBatch }),
      hintWindowMicros: options.hintWindowMicros ?? 3 * 3_600_000_000,
      hintIntervalMicros: options.hintIntervalMicros ?? DEFAULT_HINT_INTERVAL_MICROS,
      antiEntropyIntervalMicros: options.antiEntropyIntervalMicros ?? 0,
      storage: { memtableBytes: 1024 * 1024, ...options.storage },
      // Only set when on, so a cluster without dynamic membership builds exactly the config it always did.
      ...(ringGossip > 0 ? { ringGossipIntervalMicros: ringGossip } : {}),
      ...(options.brokenMembership ? { brokenMembership: options.brokenMembership } : {}),
      ...(options.listingReplyBytes === undefined ? {} : { listingReplyBytes: options.listingReplyBytes }),
    };
    this.ids.forEach((id, index) => this.world.addMachine(id, options.machine?.(index, id) ?? {}));
    for (const id of this.ids) this.boot(id);
    // Let every node finish opening (epoch fsyncs) before the caller starts issuing requests: 10 ms steps until
    // each has started or failed to (at most 60 simulated seconds). A fixed 10 ms let a scenario's load begin
    // while nodes with slow fsyncs still booted — "no node is up" with no fault (found by a review).
    const bootDeadline = this.world.simulator.nowMicros + 60_000_000;
    do {
      this.world.simulator.run({ untilMicros: this.world.simulator.nowMicros + 10_000 });
    } while (this.stillBooting() && this.world.simulator.nowMicros < bootDeadline);
  }

  get simulator() {
    return this.world.simulator;
  }

  /** Some node booted at construction has neither started nor reported a failed start yet. */
  private stillBooting(): boolean {
    for (const id of this.ids) {
      if (this.nodes.get(id) === null && !this.startErrors.some((failure) => failure.node === id)) return true;
    }
    return false;
  }

  get network() {
    return this.world.network;
  }

  /** The running node, or undefined while it is down or still starting. */
  node(id: NodeId): StorageNode | undefined {
    return this.nodes.get(id) ?? undefined;
  }

  isUp(id: NodeId): boolean {
    return this.nodes.get(id) != null;
  }

  upNodes(): NodeId[] {
    return this.ids.filter((id) => this.isUp(id));
  }

  crash(id: NodeId, mode: CrashMode = 'drop-unsynced'): void {
    const node = this.nodes.get(id);
    if (node) {
      addCounters(this.retiredCounters, node.counters);
      this.retiredReplicaOperations.set(id, (this.retiredReplicaOperations.get(id) ?? 0) + node.counters.replicaReads + node.counters.replicaWrites);
      this.retiredChanges.set(id, this.membershipChanges(id));
    }
    this.world.crash(id, mode);
    this.nodes.set(id, null);
  }

  /**
   * The joins and leaves node `id` carried out, over all its incarnations. A catch-up pass an incarnation
   * resumed after a restart is folded into the change it finishes (its keys added, its end time taken).
   */
  membershipChanges(id: NodeId): MembershipChange[] {
    const changes = (this.retiredChanges.get(id) ?? []).map((change) => ({ ...change }));
    for (const change of this.nodes.get(id)?.membership?.changes ?? []) {
      // A join or leave an earlier incarnation announced and this one resumed (a restart before the transfer
      // finished, or before its 'joined'/'left' state was durable): one change, not two.
      const earlier = change.resumedTransfer === true ? [...changes].reverse().find((c) => c.kind === change.kind && c.caughtUpAtMicros === null) : undefined;
      if (earlier !== undefined) {
        if (earlier.finishedAtMicros === null) Object.assign(earlier, { transferStartedAtMicros: change.transferStartedAtMicros, finishedAtMicros: change.finishedAtMicros, streams: change.streams });
        earlier.keys += change.keys;
        earlier.caughtUpAtMicros = change.caughtUpAtMicros;
        continue;
      }
      const owed = change.resumed === true ? [...changes].reverse().find((c) => c.kind === change.kind && c.caughtUpAtMicros === null) : undefined;
      if (owed === undefined) changes.push({ ...change });
      else {
        owed.keys += change.keys;
        owed.caughtUpAtMicros = change.caughtUpAtMicros;
      }
    }
    return changes;
  }

  /**
   * Every node's counters summed over the whole run: the running nodes' plus those of every incarnation a
   * crash ended (a restarted node starts counting from zero; what its earlier life did still happened).
   */
  counterTotals(): NodeCounters {
    const totals = { ...this.retiredCounters };
    for (const node of this.nodes.values()) if (node) addCounters(totals, node.counters);
    return totals;
  }

  /**
   * What each running ring member carried (see sim/load-balance.ts): the replica reads and writes it served over
   * the whole run (earlier incarnations included) and the bytes its storage engine holds now.
   */
  nodeLoads(): NodeLoad[] {
    const loads: NodeLoad[] = [];
    const members = new Set(this.ringMembers()); // a spare that never joined carries nothing by design
    for (const [id, node] of this.nodes) {
      if (!node || !members.has(id)) continue;
      const stats = node.engine.stats();
      loads.push({
        node: id,
        replicaOperations: (this.retiredReplicaOperations.get(id) ?? 0) + node.counters.replicaReads + node.counters.replicaWrites,
        storedBytes: stats.tableBytes + stats.memtableBytes,
      });
    }
    return loads;
  }

  /**
   * Brings a crashed node's machine back and boots a node from what its disk kept. Booting takes simulated time
   * (it reads the disk and syncs a new epoch): `booted` is told when it is done — null when the node runs, else
   * the error it failed with (also kept in `startErrors`). It is not told when a crash ends the boot first.
   */
  restart(id: NodeId, booted?: (error: Error | null) => void): void {
    if (this.world.machine(id).host.alive) throw new Error(`node ${id} is running; crash it first`);
    this.world.restart(id);
    this.boot(id, booted);
  }

  private boot(id: NodeId, booted?: (error: Error | null) => void): void {
    this.nodes.set(id, null);
    const machine = this.world.machine(id);
    const incarnation = machine.host.incarnation;
    StorageNode.start(machine.environment(), { ...this.config, id }, (error, node) => {
      if (!machine.host.isCurrent(incarnation)) return;
      if (error || node === null) {
        this.startErrors.push({ node: id, error: error?.message ?? 'unknown' });
        booted?.(error ?? new Error('unknown'));
        return;
      }
      this.nodes.set(id, node);
      booted?.(null);
    });
  }

  // ------------------------------------------------------------------------------------------ client driver

  put(via: NodeId, key: string, value: string | Uint8Array, options: WriteOptions, done: (result: WriteResult) => void): void {
    const node = this.node(via);
    if (node === undefined) return this.unavailable(via, done);
    node.put(bytes(key), typeof value === 'string' ? bytes(value) : value, options, done);
  }

  delete(via: NodeId, key: string, options: WriteOptions, done: (result: WriteResult) => void): void {
    const node = this.node(via);
    if (node === undefined) return this.unavailable(via, done);
    node.delete(bytes(key), options, done);
  }

  deleteIf(via: NodeId, key: string, expectedEtag: string | null, options: WriteOptions, done: (result: WriteResult) => void): void {
    const node = this.node(via);
    if (node === undefined) return this.unavailable(via, done);
    node.deleteIf(bytes(key), expectedEtag, options, done);
  }

  cas(via: NodeId, key: string, value: string, expectedEtag: string, options: WriteOptions, done: (result: WriteResult) => void): void {
    const node = this.node(via);
    if (node === undefined) return this.unavailable(via, done);
    node.cas(bytes(key), bytes(value), expectedEtag, options, done);
  }

  get(via: NodeId, key: string, options: { r?: number; ownersOnly?: boolean; timeoutMicros?: number }, done: (result: ReadResult) => void): void {
    const node = this.node(via);
    if (node === undefined) {
      this.simulator.schedule(0, EventTag.Workload, () => done({ status: 'fail', values: [], context: new Uint8Array(0), etag: '', replies: 0, error: `node ${via} is down`, code: 'unavailable' }));
      return;
    }
    node.get(bytes(key), options, done);
  }

  /** Runs the simulation until `start`'s callback fires (or `limitMicros` of simulated time pass). */
  await<T>(start: (done: (value: T) => void) => void, limitMicros = 30_000_000): T {
    let result: { value: T } | undefined;
    start((value) => {
      result = { value };
      this.simulator.stop();
    });
    const deadline = this.simulator.nowMicros + limitMicros;
    while (result === undefined && this.simulator.nowMicros < deadline) {
      const ran = this.simulator.run({ untilMicros: deadline });
      if (ran === 0 && this.simulator.pendingEvents === 0) break;
    }
    if (result === undefined) throw new Error(`no answer within ${limitMicros / 1e6} simulated seconds (seed ${this.options.seed})`);
    return result.value;
  }

  awaitPut(via: NodeId, key: string, value: string, options: WriteOptions = {}): WriteResult {
    return this.await((done) => this.put(via, key, value, options, done));
  }

  awaitDelete(via: NodeId, key: string, options: WriteOptions = {}): WriteResult {
    return this.await((done) => this.delete(via, key, options, done));
  }

  awaitDeleteIf(via: NodeId, key: string, expectedEtag: string | null, options: WriteOptions = {}): WriteResult {
    return this.await((done) => this.deleteIf(via, key, expectedEtag, options, done));
  }

  awaitCas(via: NodeId, key: string, value: string, expectedEtag: string, options: WriteOptions = {}): WriteResult {
    return this.await((done) => this.cas(via, key, value, expectedEtag, options, done));
  }

  awaitGet(via: NodeId, key: string, options: { r?: number } = {}): ReadResult & { strings: string[] } {
    const result = this.await<ReadResult>((done) => this.get(via, key, options, done));
    return { ...result, strings: result.values.map((v) => text(v)).sort() };
  }

  /** Advances simulated time by `micros`, running everything due. */
  advance(micros: number): void {
    this.simulator.run({ untilMicros: this.simulator.nowMicros + micros });
  }

  /** The key's preference list in the cluster's current ring (see `ring()`). */
  owners(key: string): NodeId[] {
    return preferenceList(this.ring(), bytes(key), this.config.n);
  }

  // ------------------------------------------------------------------------------------------ membership

  /** Starts node `id` joining the ring through the first running member (`seed`, if given). */
  join(id: NodeId, seed?: NodeId): NodeId {
    const node = this.node(id);
    if (node === undefined) throw new Error(`node ${id} is down or unknown`);
    const via = seed ?? this.ringMembers().find((member) => member !== id && this.isUp(member));
    if (via === undefined) throw new Error(`no running member to join ${id} through`);
    node.join(via);
    return via;
  }

  /** Starts node `id` handing its ranges off and leaving the ring. */
  leave(id: NodeId): void {
    const node = this.node(id);
    if (node === undefined) throw new Error(`node ${id} is down or unknown`);
    node.leave();
  }

  /** The merge of every running node's ring state: what gossip converges to. */
  ringState(): RingState {
    let state = EMPTY_STATE;
    for (const id of this.ids) {
      const membership = this.node(id)?.membership;
      if (membership !== undefined) state = mergeStates(state, membership.state);
    }
    return state;
  }

  /** True when every running node holds the same ring state. */
  ringConverged(): boolean {
    let first: string | undefined;
    for (const id of this.ids) {
      const membership = this.node(id)?.membership;
      if (membership === undefined) continue;
      const print = fingerprint(membership.state);
      if (first === undefined) first = print;
      else if (print !== first) return false;
    }
    return true;
  }

  /**
   * The cluster's current ring: the static one without membership changes, else the placement ring of the
   * merged ring state (what every node holds once gossip has converged).
   */
  ring(): Ring {
    if ((this.config.ringGossipIntervalMicros ?? 0) === 0) return this.config.ring!;
    const state = this.ringState();
    const print = fingerprint(state);
    if (this.ringCache?.print !== print) this.ringCache = { print, ring: state.records.length === 0 ? this.config.ring! : placementRing(state, this.config.partitioning) };
    return this.ringCache.ring;
  }

  /** Ids of the current ring's members. */
  ringMembers(): NodeId[] {
    return this.ring().nodes.map((node) => node.id);
  }

  /** The live values each listed node holds locally for `key` (no network), sorted. */
  localValues(id: NodeId, key: string): string[] {
    const node = this.node(id);
    if (node === undefined) throw new Error(`node ${id} is down`);
    const now = this.world.machine(id).clock.nowMicros();
    return node
      .localSiblings(bytes(key))
      .versions.filter((v) => !v.deleted && (v.expiresAtMicros === null || v.expiresAtMicros > now))
      .map((v) => text(v.value))
      .sort();
  }

  private unavailable(via: NodeId, done: (result: WriteResult) => void): void {
    this.simulator.schedule(0, EventTag.Workload, () => done({ status: 'fail', context: new Uint8Array(0), acks: 0, error: `node ${via} is down`, code: 'unavailable' }));
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(value: string): Uint8Array {
  // Keys are short ASCII ("k4711"): copy the code units, no TextEncoder call (one per client operation).
  const length = value.length;
  if (length <= 64) {
    const out = new Uint8Array(length);
    let i = 0;
    for (; i < length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) break;
      out[i] = c;
    }
    if (i === length) return out;
  }
  return encoder.encode(value);
}

export function text(value: Uint8Array): string {
  return decoder.decode(value);
}

function addCounters(into: NodeCounters, from: Readonly<NodeCounters>): void {
  for (const name of Object.keys(into) as (keyof NodeCounters)[]) into[name] += from[name];
}
