import { AntiEntropy, DEFAULT_SETS_BYTES } from './antientropy/exchange';
import { Membership, type CatchUpPlan } from './membership/membership';
import { inTransition, recordOf, type MemberRecord } from './membership/ring-state';
import type { NodeEnvironment, NodeId, Random, TimerId } from './env';
import { SlotMap } from './slot-map';
import { decodeMessage, encodeMessage, MessageDecodeError, type CoordinateMessage, type Message, type WriteCode } from './replication/messages';
import { checkKey, checkValue, MAX_SIBLING_SET_BYTES } from './replication/limits';
import { CATCH_UP_KEY, SWEEP_OWED_KEY, DATA_PREFIX, dataKey, decodeMicros, encodeMicros, HINT_PREFIX, hintKey, parseHintKey, RING_STATE_KEY, userKeyOfData } from './replication/keys';
import { validateQuorum } from './replication/quorum';
import { ReadRequest, type ReadOutcome } from './replication/read-coordinator';
import { Suspicion } from './replication/suspicion';
import { planTargets, type Target } from './replication/targets';
import { WriteRequest, type WriteOutcome } from './replication/write-coordinator';
import { buildRing, keyPosition, lookupPosition, successorIndex, type Member, type PartitionStrategy, type Ring } from './ring';
import { fnv1a30, prefixEnd } from './storage/bytes';
import { StorageEngine, type WriteOp } from './storage/engine';
import { WriteOutcomeUnknownError } from './storage/errors';
import type { StorageOptions } from './storage/options';
import {
  contextOf, ContextKeyMismatchError, decodeContext, decodeOwnedSiblingSet, decodeSiblingSet, EMPTY_CONTEXT, emptySet, encodeContext, encodeSiblingSet, etag, isDeleted, latestStampMicros, liveValues, purgeable, purgeableAtMicros,
  counterOf, liveVersions, withoutDeadVersions, merge, prunePolicyForGrace, sameContent, bytesEqual, tombstone, update, type ConflictMode, type Context, type PrunePolicy, type SiblingSet, type Write,
} from './versioning';
import { MAX_ABS_MICROS } from './versioning/bytes';

/**
 * One storage node: the LSM engine, the ring, and the replication protocol, wired to the four things a node
 * is built from — clock, random, disk, transport. The simulator and real mode construct it identically.
 *
 * ## Request paths
 * - **put / delete / cas** arrive at any node. The write must be coordinated by a node that stores the key
 *   (its dotted version vector counters live with the data), so a node outside the key's preference list
 *   forwards the request to the first owner it does not suspect. The coordinator applies the write locally
 *   (new dot, siblings resolved against the client's context), sends the resulting sibling set to the other
 *   targets, and answers after W fsynced acknowledgements.
 * - **get** is coordinated by whichever node receives it: it asks the targets, answers after R replies with
 *   the merged siblings and their causal context, and read-repairs replicas that were behind.
 * - **Sloppy quorum**: targets are the first N *healthy* nodes clockwise; a stand-in for a suspected owner
 *   stores the write plus a durable hint and hands it back when the owner answers again (hinted handoff).
 * - **Anti-entropy** (off unless `antiEntropyIntervalMicros` is set): now and then this node compares Merkle
 *   trees with one peer replica and both merge the keys that differ (core/antientropy/exchange.ts).
 * - **Membership** (off unless `ringGossipIntervalMicros` is set): ring state is gossiped, and `join(seed)` /
 *   `leave()` move the affected ranges' data before the ring switches (core/membership/membership.ts). While
 *   a change is in flight, writes also go, fire-and-forget, to the key's pending owners.
 *
 * Everything is callbacks on the injected clock and transport: no promises, no wall time.
 */
export interface NodeConfig {
  id: NodeId;
  members: readonly Member[];
  partitioning?: PartitionStrategy;
  /** A ring already built from `members` and `partitioning` (the simulator shares one among 500 nodes). */
  ring?: Ring;
  n: number;
  r: number;
  w: number;
  conflict: 'vclock' | 'lww';
  sloppyQuorum?: boolean;
  hintedHandoff?: boolean;
  readRepair?: boolean;
  /** Give up on a request after this long (µs). Default 500 ms. */
  requestTimeoutMicros?: number;
  /** Send to a stand-in when a target has not answered after this long. Default requestTimeout / 4. */
  substituteAfterMicros?: number;
  /** How long a silent node stays suspected. Default 2 s. */
  suspectForMicros?: number;
  /** Hints older than this are dropped undelivered (Cassandra's max_hint_window). Default 3 h. */
  hintWindowMicros?: number;
  /** How often the hint store is scanned for deliveries. Default 1 s. */
  hintIntervalMicros?: number;
  /** Hints offered per scan (one scan per hint interval). Default 256: after a 150-node partition at 2 K ops/s a stand-in can hold thousands. */
  hintBatch?: number;
  /** How often this node starts a Merkle anti-entropy exchange with the next peer replica of a shuffled round (µs); 0 = never (default). */
  antiEntropyIntervalMicros?: number;
  /** Sibling sets one anti-entropy message may carry. Default 256. */
  antiEntropyKeyBudget?: number;
  /** Bytes of sibling sets one anti-entropy message may carry (at least one set always goes). Default 4 MiB, a quarter of real mode's 16 MiB frames. */
  antiEntropySetsBytes?: number;
  /** Ring-state gossip round (µs); 0 = off (default): the ring is the static member list, as before. */
  ringGossipIntervalMicros?: number;
  /** Between announcing a join/leave and moving data (µs). Default 5 gossip rounds. */
  transferSettleMicros?: number;
  /** Sibling sets per range-transfer batch. Default 128. */
  transferBatch?: number;
  /** Most key bytes one member's listing reply carries before it stops, truncated (default 4 MiB; see MAX_SCAN_REPLY_BYTES). */
  listingReplyBytes?: number;
  /** Switches a membership mechanism off, only to show (in tests) what it is for. Never set in real use. */
  brokenMembership?: { skipTransfer?: boolean; skipPendingWrites?: boolean };
  storage?: Partial<StorageOptions>;
}

export interface WriteOptions {
  /** The context from an earlier get (opaque bytes); empty for a blind write. */
  context?: Uint8Array;
  ttlMicros?: number;
  w?: number;
}

export interface WriteResult {
  status: 'ok' | 'fail' | 'info';
  /**
   * Causal context of the written version (pass it to the next write to supersede it) — given only when the
   * write left no other live version on the coordinator's replica (tombstones and expired values do not count:
   * reads hide them too). With concurrent live versions beside it, the merged
   * context would also cover versions this writer never saw, and the next write made with it would silently
   * replace another client's acknowledged write (found by a review of the HTTP API): the context is empty then,
   * and the writer must read (and see the siblings) before it writes again.
   */
  context: Uint8Array;
  /** With live versions beside the write on the coordinator's replica: they and the write (no context then). */
  siblings?: number;
  acks: number;
  error: string;
  /** Machine-readable reason for 'fail' (maps to HTTP status codes in real mode). */
  code: WriteCode;
}

export interface ReadResult {
  status: 'ok' | 'fail';
  /** Live sibling values: one normally, several after concurrent writes, none if absent or deleted. */
  values: Uint8Array[];
  context: Uint8Array;
  /** Fingerprint of the version read; a cas succeeds only while the key still has this etag. */
  etag: string;
  replies: number;
  error: string;
  code: 'ok' | 'key-too-large' | 'bad-request' | 'quorum' | 'unavailable';
}

/** What a prefix scan found: the union of every answering member's live keys, sorted bytewise. */
export interface ScanResult {
  keys: Uint8Array[];
  /** Members asked (every member: hash placement scatters a prefix over the whole ring). */
  asked: number;
  answered: number;
  /** Members that did not answer before the deadline; keys only they hold are missing from `keys`. */
  missing: NodeId[];
  /** More keys matched than `limit` (on some replica or in the union). */
  truncated: boolean;
}

export interface NodeCounters {
  writesCoordinated: number;
  writesForwarded: number;
  readsCoordinated: number;
  replicaWrites: number;
  replicaReads: number;
  /** Hinted writes stored on this node as a stand-in (one per owner the write was meant for). */
  hintsStored: number;
  /** Of hintsStored: those that re-stamped a hint already waiting for the same owner and key (not a new hint). */
  hintsRefreshed: number;
  hintsDelivered: number;
  /**
   * Hints that outlived the hint window: dropped where this node owns the key (its replica holds the write),
   * else handed to another owner of the key as a new hint (a stand-in's copy may be the write's only one).
   */
  hintsExpired: number;
  /** Hints for an owner that has left the ring, replaced by hints for the key's current owners (counted in hintsStored). */
  hintsRehomed: number;
  /** Copies a stand-in held only for hints, removed with the last of them once delivered (see standInCopyReclaimable). */
  standInCopiesReclaimed: number;
  /** Records of keys this node no longer replicates, removed by the cleanup after a ring change (see sweepLostArcs). */
  lostArcRecordsRemoved: number;
  /** Fresh actors taken because the cleanup removed copies holding this node's own dots (see freshActor). */
  actorsRenewed: number;
  readRepairs: number;
  substitutions: number;
  malformedMessages: number;
  /** Forwarded writes that arrived a second time (a duplicated message) and were not coordinated again. */
  duplicateRequestsIgnored: number;
  /** Forwarded writes refused unstarted because the node that forwarded them had given up (see CoordinateCancelMessage). */
  forwardsCancelled: number;
  casConflicts: number;
  antiEntropyExchanges: number;
  antiEntropyKeysCompared: number;
  antiEntropyKeysSent: number;
  antiEntropyKeysRepaired: number;
}

/** A fresh set of counters, all zero. */
export function zeroCounters(): NodeCounters {
  return {
    writesCoordinated: 0, writesForwarded: 0, readsCoordinated: 0, replicaWrites: 0, replicaReads: 0, hintsStored: 0,
    hintsRefreshed: 0, hintsDelivered: 0, hintsExpired: 0, hintsRehomed: 0, standInCopiesReclaimed: 0, lostArcRecordsRemoved: 0, actorsRenewed: 0, readRepairs: 0, substitutions: 0, malformedMessages: 0, duplicateRequestsIgnored: 0, forwardsCancelled: 0, casConflicts: 0,
    antiEntropyExchanges: 0, antiEntropyKeysCompared: 0, antiEntropyKeysSent: 0, antiEntropyKeysRepaired: 0,
  };
}

/**
 * Request ids stay below 2^30, V8's small-integer range: as heap numbers (the random start once reached 2^32)
 * every id was an allocation and every record holding one changed shape, and a 500-node run took 15 % more CPU.
 * A restarted node's start is still drawn at random, so it rarely lands within a window of its last ids.
 */
const SMALL_ID_RANGE = 2 ** 30 - 1;

/** The most key bytes one member's listing reply carries (a quarter of real mode's 16 MiB frames); past it, truncated. */
const MAX_SCAN_REPLY_BYTES = 4 * 1024 * 1024;

/** How many forwarded writes a node remembers to spot a duplicate (see coordinatesSeen): seconds' worth at any load here. */
const COORDINATES_REMEMBERED = 8192;
/**
 * How long a value must have been expired, by a coordinator's clock, before a write there drops it (see
 * applyWrite): the clock skew between nodes the store tolerates without one node's fast clock removing a value
 * the others still serve. A blind refresh of a key with a ttl keeps at most this much of expired versions.
 */
export const EXPIRED_SIBLING_GRACE_MICROS = 10_000_000;
/**
 * How many forward deadlines (4 request timeouts each, a conditional write's) a cancel that arrived before its
 * write is kept: on a reordering link the write follows within a few link delays; a cancel kept longer could
 * only meet a later write that reuses the id.
 */
const CANCEL_MEMORY_DEADLINES = 2;

const EPOCH_FILE = 'node-epoch';
const EPOCH_TEMP = 'node-epoch.tmp';
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class StorageNode {
  readonly id: NodeId;
  readonly engine: StorageEngine;
  readonly mode: ConflictMode;
  /** The etag of a key with no live value in this mode (absentEtag): fixed, so computed once. */
  private readonly absent: string;
  /** Clock pruning for the writes this node coordinates: nothing younger than the tombstone grace (prunePolicyForGrace). */
  private readonly prunePolicy: PrunePolicy;
  readonly counters: NodeCounters = zeroCounters();
  private readonly env: NodeEnvironment;
  private readonly config: Required<Omit<NodeConfig, 'partitioning' | 'storage' | 'members' | 'ring' | 'ringGossipIntervalMicros' | 'transferSettleMicros' | 'transferBatch' | 'brokenMembership'>> & { members: readonly Member[] };
  private readonly suspicion: Suspicion;
  private readonly pendingWrites = new SlotMap<WriteRequest>();
  /** The substitute and deadline timers of each write in pendingWrites (see writeReplied). */
  private readonly writeTimers = new SlotMap<[TimerId, TimerId]>();
  private readonly pendingReads = new SlotMap<ReadRequest>();
  /** Per key (latin1 of its bytes), the conditional writes waiting for the one in progress (conditionalInTurn). */
  private readonly conditionalQueues = new Map<string, (() => void)[]>();
  private readonly pendingForwards = new SlotMap<(reply: Extract<Message, { type: 'coordinate-reply' }>) => void>();
  /** Offered hints awaiting an answer: the hint record's key (a copy), its in-flight marker and its stamp. */
  /** Hints offered and not yet answered: `sent` is the copy offered (what the owner now holds, if it acknowledges). */
  private readonly pendingHints = new SlotMap<{ owner: HintOwner; stored: Uint8Array; marker: number; storedAtMicros: number; sent: Uint8Array }>();
  /**
   * Hints offered and not yet answered, by hintMarker of their record key → how many (two keys may share a
   * marker: the other is then skipped for a round, nothing worse). A number, not the key as a string: building
   * that string per offer was ~2.5 % of partition-500.
   */
  private readonly hintsInFlight = new SlotMap<number>();
  private readonly pendingScans = new SlotMap<(from: NodeId, keys: Uint8Array[], truncated: boolean) => void>();
  /**
   * Request ids count up from a random start, drawn per incarnation: a restarted node's ids must not repeat
   * the ones its last incarnation used just before, or a peer would take its new requests for duplicates
   * (see coordinatesSeen).
   */
  private nextRequestId: number;
  /**
   * The last COORDINATES_REMEMBERED forwarded writes coordinated here, by sender and request id. A network that
   * duplicates a message (the simulator's `duplicate` knob; a resend after a reconnect) made this node
   * coordinate the same client write twice: two versions with two dots, a read listing the value twice, and a
   * duplicated conditional write that could apply after its client was told it failed (found by the workload
   * review). Bounded by count, not time: a node's clock can be stepped back.
   */
  private readonly coordinatesSeen = new Set<string>();
  /** Forwarded writes being coordinated here, by `from/requestId`: set when their forwarder cancels them. */
  private readonly forwardedRunning = new Map<string, ForwardedWrite>();
  /**
   * Cancels that arrived before their write (a reordering network), with when they arrived, oldest first. Kept
   * for a few forward deadlines only: a cancel whose write was lost, or ran before a restart of this node
   * forgot it, would otherwise wait for good and refuse a later write that happens to reuse the id (an entry
   * node's ids wrap, and a restarted one starts at a random id; found by a review).
   */
  private readonly cancelledBeforeArrival = new Map<string, number>();
  /**
   * Owners this node may hold hints for, in the order first seen; undefined until the first delivery round
   * has read them off the engine (a restarted node learns its hints from disk). An owner leaves the list when
   * a round finds no hint for it. Delivery rounds walk owners, not records: an owner it suspects costs nothing.
   */
  private hintOwners: HintOwner[] | undefined = undefined;
  /** Where the next delivery round starts in hintOwners, so a full batch for one owner starves none. */
  private hintRound = 0;
  private actor = '';
  /**
   * The highest dot counter issued under `actor` (any key): the next write's floor, so counters never go back
   * when the clock does (core/versioning/dvv.ts, the writer contract). Not reset when the actor changes: a floor
   * left from an earlier actor only moves the new one's counters up, which is harmless.
   */
  private lastDotCounter = 0;
  private hintTimer: number | undefined;
  /** The pending cleanup of arcs a ring change took from this node (see scheduleLostArcSweep). */
  private sweepTimer: number | undefined;
  /** Cleanup offers awaiting an owner's answer, by request id (one per owner asked; see sweepLostArcs). */
  private readonly sweepPushes = new SlotMap<SweepEntry>();
  /** Called on each cleanup answer: settles the chunk once all are in. */
  private sweepChunkDone: (() => void) | undefined;
  /** A cleanup pass is between its first chunk and its end (no second one starts meanwhile). */
  private sweepRunning = false;
  /** When the ring change the cleanup still owes began (undefined: nothing owed). */
  private sweepOwedSinceMicros: number | undefined;
  /** Ring changes seen by this incarnation: a pass during which it moved owes another. */
  private ringChangesSeen = 0;
  /** This node's epoch (node-epoch), part of its actor. */
  private epoch = 0;
  private antiEntropy: AntiEntropy | undefined;
  private stopped = false;
  private readonly membershipConfig: { partitioning: PartitionStrategy | undefined; gossipMicros: number; settleMicros: number; batch: number; broken: NonNullable<NodeConfig['brokenMembership']> };
  private membershipState: Membership | undefined;
  private initialRing: Ring;
  /** Owners given re-homed hints during the current delivery round (see offerHints). */
  private readonly rehomedTo: NodeId[] = [];
  /** Scratch for walk(): one flag per ring node, cleared after each walk. */
  private walkSeen = new Uint8Array(0);

  private constructor(env: NodeEnvironment, config: NodeConfig) {
    this.env = env;
    this.id = config.id;
    if (env.transport.self !== config.id) throw new Error(`transport belongs to '${env.transport.self}', node is '${config.id}'`);
    const gossipMicros = config.ringGossipIntervalMicros ?? 0;
    // With ring gossip on, a node may start outside the ring (a spare that joins later).
    if (gossipMicros === 0 && !config.members.some((member) => member.id === config.id)) throw new Error(`node '${config.id}' is not in its own member list`);
    this.membershipConfig = {
      partitioning: config.partitioning,
      gossipMicros,
      settleMicros: config.transferSettleMicros ?? 5 * gossipMicros,
      batch: config.transferBatch ?? 128,
      broken: config.brokenMembership ?? {},
    };
    validateQuorum(config, config.members.length);
    this.nextRequestId = 1 + env.random.int(SMALL_ID_RANGE);
    const requestTimeoutMicros = config.requestTimeoutMicros ?? 500_000;
    this.config = {
      id: config.id,
      members: config.members,
      n: config.n,
      r: config.r,
      w: config.w,
      conflict: config.conflict,
      sloppyQuorum: config.sloppyQuorum ?? true,
      hintedHandoff: config.hintedHandoff ?? true,
      readRepair: config.readRepair ?? true,
      requestTimeoutMicros,
      substituteAfterMicros: config.substituteAfterMicros ?? Math.floor(requestTimeoutMicros / 4),
      suspectForMicros: config.suspectForMicros ?? 2_000_000,
      hintWindowMicros: config.hintWindowMicros ?? 3 * 3_600_000_000,
      hintIntervalMicros: config.hintIntervalMicros ?? 1_000_000,
      hintBatch: config.hintBatch ?? 256,
      antiEntropyIntervalMicros: config.antiEntropyIntervalMicros ?? 0,
      antiEntropyKeyBudget: config.antiEntropyKeyBudget ?? 256,
      antiEntropySetsBytes: config.antiEntropySetsBytes ?? DEFAULT_SETS_BYTES,
      listingReplyBytes: config.listingReplyBytes ?? MAX_SCAN_REPLY_BYTES,
    };
    this.mode = config.conflict === 'lww' ? 'lww' : 'dvv';
    this.absent = etag(emptySet(this.mode));
    this.initialRing = config.ring ?? buildRing(config.members, config.partitioning);
    this.suspicion = new Suspicion(env.clock, this.config.suspectForMicros);
    // Sibling sets can exceed one client value (several siblings of up to 1 MiB each): the engine's own value
    // limit is raised so only the client-facing limit in limits.ts applies.
    this.engine = StorageEngine.open({
      disk: env.disk,
      clock: env.clock,
      ...(env.crc32 === undefined ? {} : { crc32: env.crc32 }),
      ...(env.soon === undefined ? {} : { soon: env.soon }),
      options: { maxValueBytes: 64 * 1024 * 1024, maxKeyBytes: 1024, ...config.storage },
    });
    this.prunePolicy = prunePolicyForGrace(this.engine.options.tombstoneGraceMicros);
  }

  /**
   * Opens the engine (replaying its WAL), bumps the durable node epoch, then starts serving. This
   * incarnation's version-vector actor is `id#epoch.nonce`, new every start: a restarted node that lost unsynced
   * writes — or its whole directory, or was rolled back to a backup — never reuses a dot an earlier incarnation
   * handed out (the epoch is for people reading actors; the random nonce is what no file can repeat).
   */
  static start(env: NodeEnvironment, config: NodeConfig, done: (error: Error | null, node: StorageNode | null) => void): void {
    let node: StorageNode;
    try {
      node = new StorageNode(env, config);
    } catch (error) {
      env.clock.setTimer(0, () => done(error as Error, null));
      return;
    }
    try {
      node.bumpEpoch((error) => {
        if (error) return done(error, null);
        env.transport.onMessage((from, bytes) => node.receive(from, bytes));
        node.scheduleHints();
        node.startMembership();
        node.startAntiEntropy();
        if (node.ringCanChange) node.resumeLostArcSweep();
        done(null, node);
      });
    } catch (error) {
      // Reading the epoch file can fail (a read fault): reported like any start failure, never thrown out of
      // start (it ended a simulated run at its restart fault — the workload review).
      env.clock.setTimer(0, () => done(error as Error, null));
    }
  }

  /** Stops timers and closes the engine. Pending requests are abandoned (their clients time out). */
  stop(done: (error: Error | null) => void): void {
    this.stopped = true;
    if (this.hintTimer !== undefined) this.env.clock.cancelTimer(this.hintTimer);
    if (this.sweepTimer !== undefined) this.env.clock.cancelTimer(this.sweepTimer);
    this.antiEntropy?.stop();
    this.membershipState?.stop();
    this.engine.close(done);
  }

  get actorId(): string {
    return this.actor;
  }

  /** The ring reads and writes use now: the static member list, or the latest one gossip brought (membership). */
  get ring(): Ring {
    return this.membershipState?.ring ?? this.initialRing;
  }

  // ---------------------------------------------------------------------------------------------- client API

  put(key: Uint8Array, value: Uint8Array, options: WriteOptions, done: (result: WriteResult) => void): void {
    const problem = checkKey(key) ?? checkValue(value);
    if (problem) return this.failLater(done, problem.code, problem.message);
    this.clientWrite({ op: 'put', key, value, options, expectedEtag: null }, done);
  }

  /**
   * Deletes the versions `options.context` covers. Under vector clocks a delete without a context is
   * concurrent with every version, as a blind put is: it removes none of them and stays in the record as a
   * hidden tombstone sibling until a write with a context that covers it (any get's context does). That is
   * the causal model the checkers hold the store to, so it stays; `deleteIf` reads first and deletes what it
   * read (HTTP DELETE without a context uses it, as Riak fetches the context of such a delete). Under LWW the
   * delete's timestamp decides.
   */
  delete(key: Uint8Array, options: WriteOptions, done: (result: WriteResult) => void): void {
    const problem = checkKey(key);
    if (problem) return this.failLater(done, problem.code, problem.message);
    this.clientWrite({ op: 'delete', key, value: null, options, expectedEtag: null }, done);
  }

  /**
   * Conditional put: succeeds only if the key's current version (as a read quorum at the coordinator sees it)
   * has etag `expectedEtag` (from an earlier get; the etag of an absent key for "create if absent"; `*` for
   * "only if it has a live value"). Not a linearizable compare-and-set: under sloppy quorum or a partition, two
   * coordinators can both see the old etag and both succeed — their writes then become siblings (vclock) or
   * one silently wins (lww).
   */
  cas(key: Uint8Array, value: Uint8Array, expectedEtag: string, options: WriteOptions, done: (result: WriteResult) => void): void {
    const problem = checkKey(key) ?? checkValue(value);
    if (problem) return this.failLater(done, problem.code, problem.message);
    // The empty string means "any version" inside (deleteIf without an etag): taken from a caller, it made a
    // compare-and-set unconditional (found by a review).
    if (expectedEtag === ANY_VERSION) return this.failLater(done, 'bad-request', 'cas needs an expected etag (from a get; * for "only if it has a live value")');
    this.clientWrite({ op: 'cas', key, value, options, expectedEtag }, done);
  }

  /**
   * A delete that first reads the current version at a majority and then deletes exactly what it read, so
   * it needs no causal context from the client (a `delete` without one is concurrent with every version and
   * removes none of them). With `expectedEtag` (an etag, or `*` for "only if it has a live value") it is
   * conditional like `cas`, failing with code 'conflict'; with null it deletes whatever the read saw.
   */
  deleteIf(key: Uint8Array, expectedEtag: string | null, options: WriteOptions, done: (result: WriteResult) => void): void {
    const problem = checkKey(key);
    if (problem) return this.failLater(done, problem.code, problem.message);
    this.clientWrite({ op: 'cas', key, value: null, options, expectedEtag: expectedEtag ?? ANY_VERSION }, done);
  }

  /**
   * A read at R (default the node's r). `ownersOnly`: ask exactly the key's N owners — no stand-in for a silent
   * or suspected one, and no suspicion from this read — for a measurement of what the owners hold (the
   * simulator's final read phase). Found by a scenario fuzzer: through the normal path, an R = N read that met a
   * slow owner asked a stand-in holding nothing after a quarter of the timeout, and a lost-writes verdict then
   * counted writes "lost" that the owner still held.
   * `timeoutMicros`: how long this read waits for R replies (default the node's request timeout) — the final
   * read phase waits longer than a scenario's timeout, which may be shorter than its links' round trips (the
   * same fuzzer: 0–200 ms links, a 100 ms timeout, and not one of 1037 final reads completed).
   */
  get(key: Uint8Array, options: { r?: number; ownersOnly?: boolean; timeoutMicros?: number }, done: (result: ReadResult) => void): void {
    const problem = checkKey(key);
    if (problem) {
      this.env.clock.setTimer(0, () => done({ status: 'fail', values: [], context: new Uint8Array(0), etag: '', replies: 0, error: problem.message, code: problem.code === 'value-too-large' ? 'bad-request' : problem.code }));
      return;
    }
    const r = options.r ?? this.config.r;
    if (!(Number.isInteger(r) && r >= 1 && r <= this.config.n)) {
      this.env.clock.setTimer(0, () => done({ status: 'fail', values: [], context: new Uint8Array(0), etag: '', replies: 0, error: `r=${r} must be between 1 and n=${this.config.n}`, code: 'bad-request' }));
      return;
    }
    const timeoutMicros = options.timeoutMicros ?? this.config.requestTimeoutMicros;
    if (!(Number.isSafeInteger(timeoutMicros) && timeoutMicros > 0)) {
      this.env.clock.setTimer(0, () => done({ status: 'fail', values: [], context: new Uint8Array(0), etag: '', replies: 0, error: `timeoutMicros must be a whole number of µs > 0, got ${timeoutMicros}`, code: 'bad-request' }));
      return;
    }
    this.coordinateRead(key, r, options.ownersOnly === true, (outcome) => {
      const now = this.env.clock.nowMicros();
      const values = liveValues(outcome.merged, now);
      done({
        status: outcome.status,
        values,
        context: encodeContext(contextOf(outcome.merged), key),
        etag: this.currentEtag(outcome.merged, now),
        replies: outcome.replies,
        error: outcome.error,
        code: outcome.status === 'ok' ? 'ok' : 'quorum',
      });
    }, timeoutMicros);
  }

  /** Etag of a key without a live value (never written, deleted or expired): pass it to cas for "create only if absent". */
  absentEtag(): string {
    return this.absent;
  }

  /**
   * The etag a client sees for `set`: its fingerprint, or absentEtag() when no version is live. A deleted or
   * expired key reads as absent, so it must compare as absent: "create only if absent" works again after a
   * delete or an expiry, and an old holder's etag no longer matches a lease that has run out (found by a
   * review: after a delete, If-None-Match: * could never create the key again). Dead versions are left out of
   * the fingerprint, so a sibling that expires changes the etag as it changes what a read returns (found by a
   * review: a client that read {A, B-with-ttl} and merged them still matched after B expired, and its
   * conditional write brought B back without its ttl).
   */
  private currentEtag(set: SiblingSet, nowMicros: number): string {
    return isDeleted(set, nowMicros) ? this.absent : etag(withoutDeadVersions(set, nowMicros));
  }

  /** The key's preference list (first N distinct nodes clockwise). */
  preferenceList(key: Uint8Array): NodeId[] {
    return this.walk(key).slice(0, this.config.n);
  }

  /** This replica's stored sibling set for `key` (no network): for checkers, tests and anti-entropy. */
  localSiblings(key: Uint8Array): SiblingSet {
    return this.loadSet(key);
  }

  /** Hints this node holds for other owners (for `owner` only, when given). */
  pendingHintCount(owner?: NodeId): number {
    const hints = this.engine.scan({ prefix: HINT_PREFIX });
    return owner === undefined ? hints.length : hints.filter((hint) => parseHintKey(hint.key).owner === owner).length;
  }

  suspectedPeers(): NodeId[] {
    return this.suspicion.suspected();
  }

  /**
   * Keys starting with `prefix` that hold a live value, by scatter-gather: consistent hashing places keys by
   * hash, so a prefix has no range on the ring and every member is asked for its local keys. The answer is the
   * union of what answered within the request timeout — eventually consistent: a key deleted on some replicas
   * but not yet on others may still be listed, and keys held only by silent members are missing (`missing`
   * names those). Returns at most `limit` keys (default 1000), sorted bytewise.
   */
  scanKeys(prefix: Uint8Array, options: { limit?: number }, done: (result: ScanResult) => void): void {
    const limit = options.limit ?? 1000;
    const members = this.config.members.map((member) => member.id);
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100_000) || prefix.length > 256) {
      this.env.clock.setTimer(0, () => done({ keys: [], asked: 0, answered: 0, missing: members, truncated: false }));
      return;
    }
    const requestId = this.newRequestId();
    const found = new Map<string, Uint8Array>();
    const answered = new Set<NodeId>();
    let truncated = false;
    // The lowest last key among members that stopped early: past it the union has holes (keys only a truncated
    // member held are missing), so the answer ends there (found by a review of the listing budget).
    let cutoff: string | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      this.pendingScans.delete(requestId);
      this.env.clock.cancelTimer(timer);
      let entries = [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (cutoff !== null) entries = entries.filter(([id]) => id <= cutoff!);
      const keys = entries.map(([, key]) => key);
      if (keys.length > limit) truncated = true;
      done({ keys: keys.slice(0, limit), asked: members.length, answered: answered.size, missing: members.filter((m) => !answered.has(m)), truncated });
    };
    const timer = this.env.clock.setTimer(this.config.requestTimeoutMicros, finish);
    this.pendingScans.set(requestId, (from, keys, replicaTruncated) => {
      if (answered.has(from) || !members.includes(from)) return;
      answered.add(from);
      truncated ||= replicaTruncated;
      if (replicaTruncated && keys.length > 0) {
        const last = latin1(keys[keys.length - 1]!);
        if (cutoff === null || last < cutoff) cutoff = last;
      }
      for (const key of keys) found.set(latin1(key), key);
      if (answered.size === members.length) finish();
    });
    for (const member of members) {
      if (member === this.id) {
        const local = this.localKeys(prefix, limit);
        this.env.clock.setTimer(0, () => this.pendingScans.get(requestId)?.(this.id, local.keys, local.truncated));
      } else {
        this.send(member, { type: 'key-scan', requestId, prefix, limit });
      }
    }
  }

  /** This replica's keys under `prefix` whose sibling set still has a live value. */
  private localKeys(prefix: Uint8Array, limit: number): { keys: Uint8Array[]; truncated: boolean } {
    const now = this.env.clock.nowMicros();
    const keys: Uint8Array[] = [];
    let truncated = false;
    let replyBytes = 0;
    // Visited, not scanned: the walk stops at the first live key past the limit, and no value is copied.
    this.engine.visit({ prefix: dataKey(prefix) }, (key, value) => {
      let live: boolean;
      try {
        live = liveValues(decodeSiblingSet(value), now).length > 0;
      } catch {
        return true; // an undecodable record is anti-entropy's business, not a listing's
      }
      if (!live) return true;
      const userKey = userKeyOfData(key);
      // The reply must fit a frame: 100 000 keys of 256 bytes encode to ~26 MB, over real mode's 16 MiB, and
      // the member's whole answer was dropped — listed as missing (found by a review of the transport).
      if (keys.length === limit || replyBytes + userKey.length + 5 > this.config.listingReplyBytes) {
        truncated = true;
        return false;
      }
      replyBytes += userKey.length + 5;
      keys.push(userKey.slice());
      return true;
    });
    return { keys, truncated };
  }

  // ---------------------------------------------------------------------------------------------- writes

  private clientWrite(
    request: { op: 'put' | 'delete' | 'cas'; key: Uint8Array; value: Uint8Array | null; options: WriteOptions; expectedEtag: string | null },
    done: (result: WriteResult) => void,
  ): void {
    const w = request.options.w ?? this.config.w;
    const badW = this.wProblem(w);
    if (badW !== null) return this.failLater(done, 'bad-request', badW);
    let context: Context;
    try {
      context = request.options.context && request.options.context.length > 0 ? decodeContext(request.options.context, request.key) : EMPTY_CONTEXT;
    } catch (error) {
      return this.failLater(done, 'bad-request', contextProblem(error));
    }
    const ttlMicros = request.options.ttlMicros ?? 0;
    if (!(Number.isInteger(ttlMicros) && ttlMicros >= 0 && ttlMicros <= MAX_TTL_MICROS)) {
      return this.failLater(done, 'bad-request', `ttl must be a whole number of µs from 0 to ${MAX_TTL_MICROS} (50 years), got ${ttlMicros}`);
    }
    if (ttlMicros > 0 && this.env.clock.nowMicros() + ttlMicros >= MAX_ABS_MICROS) {
      return this.failLater(done, 'bad-request', `ttl of ${ttlMicros} µs would expire past 2^52 µs after the epoch (the year 2112), the latest expiry a version can carry`);
    }
    const walk = this.walk(request.key);
    if (walk.length === 0) return this.failLater(done, 'unavailable', EMPTY_RING);
    const owners = walk.slice(0, this.config.n);
    const message: CoordinateMessage = {
      type: 'coordinate',
      requestId: 0,
      op: request.op,
      key: request.key,
      value: request.value,
      context: request.options.context ?? new Uint8Array(0),
      ttlMicros,
      w,
      expectedContext: request.expectedEtag === null ? null : encoder.encode(request.expectedEtag),
    };
    // A node whose storage has failed does not coordinate: its local copy may lack versions it acknowledged
    // as a replica or wrote as a coordinator, and the next dot it drew from that copy would reuse one of its
    // own, making replicas discard an acknowledged write (found by a review: one node's failing fsyncs lost
    // 142 of 743 acknowledged writes at N=3 W=2). It forwards to another owner instead.
    const storageFailed = this.engine.writeFailure !== null;
    if (request.op === 'cas') {
      // A conditional write goes to the key's first healthy owner, where conditional writes of one key run one
      // at a time (coordinateWrite): of several racing on one etag exactly one wins while that owner is up.
      // Coordinated wherever they landed, each read the same etag and several won (found by a review: up to
      // 15 of 24 racing clients, no fault needed).
      // Around owners silent for a whole timeout only, not merely slow ones (Suspicion): every entry node must
      // pick the same coordinator while nothing has failed.
      const candidates = owners.filter((owner) => (owner === this.id ? !storageFailed : !this.suspicion.isSilent(owner)));
      if (candidates.length > 0) {
        this.routeConditional(candidates, 0, message, context, walk, done);
        return;
      }
    } else if (owners.includes(this.id) && !storageFailed) {
      this.coordinateWrite(message, context, false, done, walk);
      return;
    }
    const coordinator = owners.find((owner) => owner !== this.id && !this.suspicion.isSuspected(owner));
    if (coordinator === undefined) {
      if (!this.config.sloppyQuorum) return this.failLater(done, 'unavailable', `all ${owners.length} owners of the key are unreachable and sloppy quorum is off`);
      // No owner reachable: this node coordinates as a stand-in, so the write is still accepted (Dynamo's
      // "always writable"), and keeps a hint so the owners get it later.
      this.coordinateWrite(message, context, true, done, walk);
      return;
    }
    this.forward(coordinator, message, done);
  }

  /**
   * Sends a conditional write to `candidates[index]` (this node coordinates it itself when it is the one); an
   * owner that answers that its storage failed — it is up, so nobody suspects it — passes the turn to the next
   * candidate (found by a review: one owner with a full disk failed every conditional write and every delete
   * without a context of the keys it owns first, from every entry node, until it was restarted).
   */
  private routeConditional(candidates: NodeId[], index: number, message: CoordinateMessage, context: Context, walk: NodeId[], done: (result: WriteResult) => void): void {
    const coordinator = candidates[index]!;
    const next = (result: WriteResult): void => {
      if (result.status === 'fail' && isStorageFailure(result.error) && index + 1 < candidates.length) {
        this.routeConditional(candidates, index + 1, message, context, walk, done);
      } else done(result);
    };
    if (coordinator === this.id) this.coordinateWrite(message, context, false, next, walk);
    else this.forward(coordinator, message, next);
  }

  /** Why `w` is not a write quorum this node can run (1 to n), or null. */
  private wProblem(w: number): string | null {
    return Number.isInteger(w) && w >= 1 && w <= this.config.n ? null : `w=${w} must be between 1 and n=${this.config.n}`;
  }

  private forward(coordinator: NodeId, message: CoordinateMessage, done: (result: WriteResult) => void): void {
    const requestId = this.newRequestId();
    this.counters.writesForwarded++;
    // A conditional write may wait its turn behind others of its key at the coordinator (at most a request
    // timeout, then it is refused as busy), then reads and writes (a request timeout each): a live coordinator
    // answers within three, so its deadline is four. Two, as for plain writes, made a burst on one key look
    // like a dead coordinator — the next writes for all its keys went to the second owner, and two clients won
    // one etag (found by a review) — while never suspecting at all let a dead first owner time out every
    // conditional write for ever (found by the next review).
    const deadlineMicros = this.config.requestTimeoutMicros * (message.op === 'cas' ? 4 : 2);
    const timer = this.env.clock.setTimer(deadlineMicros, () => {
      if (!this.pendingForwards.delete(requestId)) return;
      this.suspicion.suspect(coordinator);
      // The client hears "outcome unknown" now; the write must not start later than that. Without the cancel a
      // write held up on the way (a paused coordinator read it from its socket buffer on waking, a restarted
      // one from the reconnected link) ran seconds after — a delete without a context then removed a value
      // written and acknowledged after the client's answer (found by a fuzz of real mode with SIGSTOP).
      this.send(coordinator, { type: 'coordinate-cancel', requestId });
      done({ status: 'info', context: new Uint8Array(0), acks: 0, error: `coordinator ${coordinator} did not answer within ${deadlineMicros / 1000} ms`, code: 'quorum' });
    });
    this.pendingForwards.set(requestId, (reply) => {
      this.env.clock.cancelTimer(timer);
      done({
        status: reply.status,
        context: reply.context,
        ...(reply.siblings > 1 ? { siblings: reply.siblings } : {}),
        acks: reply.acks,
        error: reply.error,
        code: reply.code,
      });
    });
    this.send(coordinator, { ...message, requestId });
  }

  /** `walk`: the key's walk, when the caller computed it in this same turn (nothing can have changed it since). */
  /**
   * `forwarded`: a write another node forwarded here, and whether that node has since given up on it (its
   * client was answered "outcome unknown"). A plain write is applied in the turn it arrives; a conditional one
   * checks before it starts and again before it writes, and is refused if cancelled.
   */
  private coordinateWrite(message: CoordinateMessage, context: Context, asStandIn: boolean, done: (result: WriteResult) => void, walk: NodeId[] | null = null, forwarded: ForwardedWrite | null = null): void {
    const failure = this.engine.writeFailure;
    if (failure !== null) {
      // See clientWrite: never draw a dot from a copy that may be missing this node's own versions.
      this.env.clock.setTimer(0, () => done(this.storageFailed(failure)));
      return;
    }
    if (message.op === 'cas') {
      const queuedAtMicros = this.env.clock.nowMicros();
      this.conditionalInTurn(message.key, (finished) => {
        // The turn ends once: the client is answered first, then the next write of the key gets its turn (on a
        // timer, so a throw there cannot unwind into this answer). A throw, a failed storage or a long wait
        // ends it too, so one stuck or failed write never blocks the key (found by a review: a read fault in
        // the middle of a turn left the key's later conditional writes waiting forever).
        let over = false;
        const end = (result: WriteResult): void => {
          if (over) return;
          over = true;
          try {
            done(result);
          } finally {
            finished(); // even when the answer's callback throws: else the key's later writes wait for ever
          }
        };
        const waitedMicros = this.env.clock.nowMicros() - queuedAtMicros;
        if (waitedMicros > this.config.requestTimeoutMicros) {
          // Refused, not run late: the client (or the node that forwarded it) hears within its deadline, and a
          // definite "not applied" is better than a write that lands after its client gave up.
          return end({ status: 'fail', context: new Uint8Array(0), acks: 0, error: `busy: this conditional write waited ${Math.round(waitedMicros / 1000)} ms at ${this.id} behind others of its key; try again`, code: 'unavailable' });
        }
        const failure = this.engine.writeFailure;
        if (failure !== null) {
          // Checked again at its turn: the storage may have failed while it waited.
          return end(this.storageFailed(failure));
        }
        if (forwarded?.cancelled === true) return end(this.cancelledResult(forwarded.from));
        try {
          this.coordinateConditional(message, asStandIn, end, () => over, forwarded);
        } catch (error) {
          end({ status: 'fail', context: new Uint8Array(0), acks: 0, error: `conditional write failed before it was sent: ${(error as Error).message}`, code: 'unavailable' });
        }
      });
      return;
    }
    this.applyWrite(message, context, asStandIn, null, done, walk);
  }

  /**
   * Runs `start` once no other conditional write of `key` is in progress on this node (each calls `finished`
   * when it is over). The next one then reads what the previous one wrote (its majority read overlaps the
   * write's W replicas when R + W > N, as here: a majority both ways), so it compares against the new etag.
   */
  private conditionalInTurn(key: Uint8Array, start: (finished: () => void) => void): void {
    const id = latin1(key);
    const waiting = this.conditionalQueues.get(id);
    const finished = (): void => {
      const queue = this.conditionalQueues.get(id)!;
      const next = queue.shift();
      if (next === undefined) this.conditionalQueues.delete(id);
      else this.env.clock.setTimer(0, next);
    };
    if (waiting !== undefined) {
      waiting.push(() => start(finished));
      return;
    }
    this.conditionalQueues.set(id, []);
    start(finished);
  }

  /**
   * Drops the early cancels older than CANCEL_MEMORY_DEADLINES forward deadlines (oldest first: they were
   * added in arrival order), and `forwardId`'s own, if given; true if `forwardId`'s was there and fresh.
   */
  private forgetStaleCancels(forwardId: string | null): boolean {
    const now = this.env.clock.nowMicros();
    const oldestKept = now - CANCEL_MEMORY_DEADLINES * 4 * this.config.requestTimeoutMicros;
    let fresh = false;
    if (forwardId !== null) {
      const at = this.cancelledBeforeArrival.get(forwardId);
      fresh = at !== undefined && at >= oldestKept && at <= now; // a clock stepped back makes it stale too
      this.cancelledBeforeArrival.delete(forwardId);
    }
    for (const [id, at] of this.cancelledBeforeArrival) {
      if (at >= oldestKept && at <= now) break;
      this.cancelledBeforeArrival.delete(id);
    }
    return fresh;
  }

  /** A forwarded write whose forwarder gave up before it ran here: refused, nothing applied. */
  private cancelledResult(forwarder: NodeId): WriteResult {
    this.counters.forwardsCancelled++;
    const error = `cancelled: ${forwarder} gave up waiting for this write (its client was answered "outcome unknown") before it ran here; not applied`;
    return { status: 'fail', context: new Uint8Array(0), acks: 0, error, code: 'unavailable' };
  }

  /** What a node whose storage failed answers a write it was asked to coordinate (nothing was applied). */
  private storageFailed(failure: Error): WriteResult {
    return { status: 'fail', context: new Uint8Array(0), acks: 0, error: `node ${this.id} ${STORAGE_FAILED} (${failure.message})`, code: 'unavailable' };
  }

  /**
   * A conditional write: a majority read, the etag compared, then the write (or a 'conflict' failure). `ended`
   * says the turn was already ended (a throw while starting): then the read's answer must not write.
   */
  private coordinateConditional(message: CoordinateMessage, asStandIn: boolean, done: (result: WriteResult) => void, ended: () => boolean, forwarded: ForwardedWrite | null): void {
    const expected = decoder.decode(message.expectedContext ?? new Uint8Array(0));
    // Read a majority first so the etag is compared against more than this replica's possibly stale copy.
    const r = Math.floor(this.config.n / 2) + 1;
    this.coordinateRead(message.key, r, false, (outcome) => {
      if (ended()) return;
      if (forwarded?.cancelled === true) return done(this.cancelledResult(forwarded.from));
      try {
        this.compareAndWrite(message, asStandIn, outcome, expected, done);
      } catch (error) {
        // A read fault in applyWrite (loading this replica's copy) or later: replica writes may have gone out.
        done({ status: 'info', context: new Uint8Array(0), acks: 0, error: `conditional write failed midway, outcome unknown: ${(error as Error).message}`, code: 'quorum' });
      }
    });
  }

  /** The etag compared against the majority read, then the write or a 'conflict' failure. */
  private compareAndWrite(message: CoordinateMessage, asStandIn: boolean, outcome: ReadOutcome, expected: string, done: (result: WriteResult) => void): void {
    if (outcome.status !== 'ok') {
      return done({ status: 'fail', context: new Uint8Array(0), acks: 0, error: `cas could not read the current version: ${outcome.error}`, code: 'quorum' });
    }
    const now = this.env.clock.nowMicros();
    const live = !isDeleted(outcome.merged, now);
    const current = this.currentEtag(outcome.merged, now);
    const matches = expected === ANY_VERSION || (expected === ANY_LIVE_VERSION ? live : current === expected);
    if (!matches) {
      this.counters.casConflicts++;
      const error = expected === ANY_LIVE_VERSION
        ? 'conflict: the key has no live value (expected one: *)'
        : expected === this.absent
          ? `conflict: the key has a value (version ${current}); expected none`
          : `conflict: the key's version is ${current}, not the expected ${expected}`;
      // No context with a refusal: it would cover a version this writer has not seen (see WriteResult.context).
      return done({ status: 'fail', context: new Uint8Array(0), acks: 0, error, code: 'conflict' });
    }
    this.applyWrite(message, contextOf(outcome.merged), asStandIn, outcome.merged, done);
  }

  private applyWrite(message: CoordinateMessage, context: Context, asStandIn: boolean, alsoMerge: SiblingSet | null, done: (result: WriteResult) => void, knownWalk: NodeId[] | null = null): void {
    this.counters.writesCoordinated++;
    const now = this.env.clock.nowMicros();
    // A conditional write (cas, deleteIf: alsoMerge is the version it read and matched) is stamped after that
    // version even when this coordinator's clock is behind its writer's: under LWW it was otherwise
    // acknowledged and then lost to the very version it replaced (a review, with clocks 100 ms apart).
    // Cassandra's conditional writes likewise take a timestamp newer than any before them.
    const stampMicros = alsoMerge === null ? now : Math.max(now, latestStampMicros(alsoMerge) + 1);
    const write: Write = message.value === null
      ? tombstone(stampMicros)
      : { value: message.value, timestampMicros: stampMicros, expiresAtMicros: message.ttlMicros > 0 ? now + message.ttlMicros : null };
    let stored: StoredSet;
    try {
      stored = this.loadStored(message.key);
    } catch (error) {
      // The coordinator cannot read its own copy (a read fault, a corrupt block): nothing is sent or stored
      // yet, so the write certainly did not happen. Thrown, it ended a simulated run (a review: a disk read
      // fault of 0.02 did it) and cost a real request a 500.
      return this.failLater(done, 'unavailable', `not applied: ${this.id} could not read its copy of the key (${(error as Error).message})`);
    }
    let local = stored.set;
    if (alsoMerge !== null) local = merge(local, alsoMerge);
    // Dead versions beside the write — tombstones, values expired by this coordinator's clock — are superseded
    // by it, as a read's context would have covered them: nothing a reader sees is lost, and their dots stay in
    // the clock, so merges drop them everywhere. Kept, a blind refresh of a key with a ttl (the session or
    // cache pattern: PUT ?ttl= without a context) stacked one expired sibling per write until the key was
    // refused as "too many siblings" while reading as one value (found by a review of TTL). LWW keeps one
    // version and needs no such step (a newer tombstone must still win there). An expired value goes only once
    // it has been expired for EXPIRED_SIBLING_GRACE_MICROS by this clock: dropped here, it is gone from every
    // replica, so a coordinator whose clock ran 5 s fast removed a value still live for everyone else (the next
    // review). Tombstones go at once: no reader sees them beside a live value.
    if (local.mode === 'dvv') local = withoutDeadVersions(local, now - EXPIRED_SIBLING_GRACE_MICROS);
    // Pruned only past the tombstone grace: a replica cut off for less may still hold a version only the pruned
    // entry marked as superseded (prune.ts; found by partition-500 at 10 K ops/s, a 40 s partition).
    const next = update(local, context, write, this.actor, { prune: this.prunePolicy, minCounter: this.lastDotCounter + 1 });
    this.lastDotCounter = Math.max(this.lastDotCounter, counterOf(next.clock, this.actor));
    const encoded = encodeSiblingSet(next);
    if (encoded.length > MAX_SIBLING_SET_BYTES && next.versions.length > 1) {
      // Refused before anything is sent or stored (see MAX_SIBLING_SET_BYTES): nothing was applied.
      const error = `too many siblings: this write would leave ${next.versions.length} concurrent versions of the key, ${encoded.length} bytes together (the limit is ${MAX_SIBLING_SET_BYTES}); read the key and write with its context to resolve them`;
      return this.failLater(done, 'too-many-siblings', error);
    }
    const walk = knownWalk ?? this.walk(message.key);
    const plan = planTargets(walk, this.config.n, this.config.sloppyQuorum, (node) => node !== this.id && this.suspicion.isSuspected(node));
    let targets = plan.targets;
    if (!targets.some((t) => t.node === this.id)) {
      // Coordinating without being a target (every owner suspected): stand in for the first owner.
      const replaced = targets.find((t) => t.hintFor !== '') ?? targets[0];
      const hintFor = replaced?.hintFor || replaced?.node || plan.owners[0]!;
      targets = [{ node: this.id, hintFor: asStandIn ? hintFor : '' }, ...targets.filter((t) => t !== replaced)].slice(0, this.config.n);
    }
    const requestId = this.newRequestId();
    // See WriteResult.context: a context only when this write is the one version a reader would see there.
    // Tombstones and expired values beside it count for nothing: a get hides them and its context covers them
    // too (found by a review: after a TTL value expired, a blind put was answered "2 siblings, no context").
    // At least 0: under LWW a newer version (a tombstone, say) can beat this write, which then is not in `next`.
    const othersLive = Math.max(0, liveVersions(next, now).length - (write.deleted === true ? 0 : 1));
    const resultContext = othersLive === 0 ? encodeContext(contextOf(next), message.key) : new Uint8Array(0);
    const siblings = othersLive > 0 ? { siblings: othersLive + 1 } : {};
    // The request stays registered until its deadline even after it answered, so late acknowledgements are
    // still counted and only truly silent replicas get a stand-in.
    // The coordinator may have put itself among the targets above while also being one of the plan's spares.
    const spares = plan.spares.filter((spare) => !targets.some((t) => t.node === spare));
    const request = new WriteRequest(requestId, message.w, spares, (outcome: WriteOutcome) => {
      done({ status: outcome.status, context: resultContext, ...siblings, acks: outcome.acks, error: outcome.error, code: outcome.status === 'ok' ? 'ok' : 'quorum' });
    });
    this.pendingWrites.set(requestId, request);
    // Owners that get neither the write nor a stand-in holding a hint for them (every node suspected, say,
    // on the minority side of a partition): the coordinator keeps a hint for each, so they still converge.
    const unreached = plan.owners.filter((owner) => owner !== this.id && !targets.some((t) => t.node === owner || t.hintFor === owner));
    for (const target of targets) {
      if (target.node === this.id && unreached.length > 0) {
        request.asking(target);
        this.storeReplica(message.key, next, [target.hintFor, ...unreached], (error) => this.localReplied(request, error), encoded, stored);
      } else {
        this.sendReplicaWrite(request, target, message.key, encoded, next, stored);
      }
    }
    this.sendToPendingOwners(message.key, plan.owners, encoded);
    // Owners this coordinator has already kept a hint for in this write (substituteWriteTargets), so the deadline
    // does not store the same hint again (found by a review: a second data-record and hint write and fsync, a
    // hintsRefreshed nobody asked for, and the hint offered twice).
    const hinted = new Set<NodeId>();
    const substituteTimer = this.env.clock.setTimer(this.config.substituteAfterMicros, () => this.substituteWriteTargets(request, message.key, encoded, next, hinted));
    const deadlineTimer = this.env.clock.setTimer(this.config.requestTimeoutMicros, () => {
      this.writeTimers.delete(requestId);
      request.timeout(this.config.requestTimeoutMicros);
      this.pendingWrites.delete(requestId);
      this.hintForMissingTargets(request, message.key, next, hinted);
    });
    this.writeTimers.set(requestId, [substituteTimer, deadlineTimer]);
  }

  /**
   * A target's answer to a write. Once the write has answered its client and every target has spoken, its two
   * timers have nothing left to do (no silent target to substitute or hint for): they are cancelled and the
   * request forgotten, instead of holding the value and its sibling sets until the deadline.
   */
  private writeReplied(request: WriteRequest, from: NodeId, ok: boolean, error: string): void {
    request.reply(from, ok, error);
    // A refusal keeps the deadline too: it stores the refusing owner's hint (hintForMissingTargets).
    if (!request.done || request.silent().length > 0 || request.refusing().length > 0) return;
    const timers = this.writeTimers.get(request.requestId);
    if (timers === undefined) return;
    this.writeTimers.delete(request.requestId);
    this.pendingWrites.delete(request.requestId);
    this.env.clock.cancelTimer(timers[0]);
    this.env.clock.cancelTimer(timers[1]);
  }

  /**
   * At a write's deadline, every target that never answered — an owner, or a stand-in sent in its place —
   * leaves an owner that may not have the write. The coordinator keeps a hint for each such owner, so the
   * write still reaches it after the heal (found by partition-500: a stand-in on the far side of the
   * partition took the write's only hint for an owner with it). So does every target that refused it (its
   * storage had failed, say): a refusal is no more a copy than silence is (found by a scenario fuzzer: at W = 1
   * with read repair off, owners that refused under disk faults stayed without the write after every fault was
   * healed).
   */
  private hintForMissingTargets(request: WriteRequest, key: Uint8Array, set: SiblingSet, hinted: ReadonlySet<NodeId>): void {
    if (!this.config.hintedHandoff) return;
    const missing = [...request.silent(), ...request.refusing()];
    const owners = [...new Set(missing.map((target) => target.hintFor || target.node))].filter((owner) => owner !== this.id && !hinted.has(owner));
    if (owners.length > 0) this.storeReplica(key, set, owners, () => {});
  }

  /**
   * This node's own replica answered. A write applied here whose fsync failed is neither an acknowledgement
   * nor a refusal (a refusal counts toward "certainly not applied" when every replica refuses): it is left
   * unanswered, as a remote replica leaves it, and the request's timeout reports the outcome unknown.
   */
  private localReplied(request: WriteRequest, error: Error | null): void {
    if (error instanceof WriteOutcomeUnknownError) return;
    this.writeReplied(request, this.id, error === null, error?.message ?? '');
  }

  /** `local`: this replica's copy, when the caller loaded it in this same turn (see storeReplica). */
  private sendReplicaWrite(request: WriteRequest, target: Target, key: Uint8Array, encoded: Uint8Array, set: SiblingSet, local: StoredSet | null = null): void {
    request.asking(target);
    if (target.node === this.id) {
      this.storeReplica(key, set, target.hintFor, (error) => this.localReplied(request, error), encoded, local);
      return;
    }
    this.send(target.node, { type: 'replica-write', requestId: request.requestId, key, siblings: encoded, hintFor: target.hintFor, ttlMicros: 0 });
  }

  /** Owners that stay silent past substituteAfter are suspected and replaced by stand-ins (sloppy quorum). */
  private substituteWriteTargets(request: WriteRequest, key: Uint8Array, encoded: Uint8Array, set: SiblingSet, hinted: Set<NodeId>): void {
    // This runs even when W was already met: an owner that missed the write would otherwise stay behind
    // until a read repaired it (Cassandra writes hints for late replicas regardless of consistency level).
    for (const silent of request.silent()) {
      if (silent.node === this.id) continue;
      this.suspicion.suspectSlow(silent.node);
      const owner = silent.hintFor || silent.node;
      const spare = this.config.sloppyQuorum && !request.done ? request.takeSpare() : undefined;
      if (spare !== undefined) {
        this.counters.substitutions++;
        this.sendReplicaWrite(request, { node: spare, hintFor: owner }, key, encoded, set);
      } else if (this.config.hintedHandoff && owner !== this.id) {
        // No stand-in needed (W already met) or none left: the coordinator, which holds the write anyway,
        // keeps the hint itself, as Cassandra's coordinators do for replicas that time out.
        if (hinted.has(owner)) continue;
        hinted.add(owner);
        // A hint that could not be stored (a disk fault) is left to the deadline to try again.
        this.storeReplica(key, set, owner, (error) => {
          if (error !== null) hinted.delete(owner);
        });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------- reads

  /** `ownersOnly`: the key's N owners and no one else, suspected or not (see get). */
  private coordinateRead(key: Uint8Array, r: number, ownersOnly: boolean, done: (outcome: ReadOutcome) => void, timeoutMicros = this.config.requestTimeoutMicros): void {
    this.counters.readsCoordinated++;
    const walk = this.walk(key);
    if (walk.length === 0) {
      this.env.clock.setTimer(0, () => done({ status: 'fail', merged: emptySet(this.mode), replies: 0, error: EMPTY_RING }));
      return;
    }
    const plan = ownersOnly
      ? planTargets(walk, this.config.n, false, () => false)
      : planTargets(walk, this.config.n, this.config.sloppyQuorum, (node) => node !== this.id && this.suspicion.isSuspected(node));
    const requestId = this.newRequestId();
    let answered = false;
    const answer = (outcome: ReadOutcome): void => {
      answered = true;
      done(outcome);
    };
    const request = new ReadRequest(requestId, r, this.mode, plan.spares, answer, (merged, stale) => {
      this.pendingReads.delete(requestId);
      // Settled (every asked replica replied): the substitute timer has nothing left to do, nor has the deadline
      // once the client has its answer (with fewer than R replicas it still has to fail the read). Cancelled,
      // they stop holding the request and every value it gathered until the deadline — on a real node that
      // kept each read alive past a young-generation GC.
      this.env.clock.cancelTimer(substituteTimer);
      if (answered) this.env.clock.cancelTimer(deadlineTimer);
      // Owners only. A stand-in asked in a silent owner's place is not repaired: the copy would carry no hint,
      // so it would never reach the owner, and no later delete or overwrite would ever reach it either — a
      // review found a deleted value kept that way on a stand-in for good, sent there by a read's late repair.
      if (this.config.readRepair) this.readRepair(key, merged, stale.filter((node) => plan.owners.includes(node)));
    });
    this.pendingReads.set(requestId, request);
    for (const target of plan.targets) this.askRead(request, target.node, key);
    const substituteTimer = this.env.clock.setTimer(this.config.substituteAfterMicros, () => {
      if (request.done || ownersOnly) return;
      for (const silent of request.silent()) {
        this.suspicion.suspectSlow(silent);
        const spare = request.takeSpare();
        if (spare === undefined) break;
        this.counters.substitutions++;
        this.askRead(request, spare, key);
      }
    });
    const deadlineTimer = this.env.clock.setTimer(timeoutMicros, () => {
      request.timeout(timeoutMicros);
      this.pendingReads.delete(requestId);
    });
  }

  private askRead(request: ReadRequest, node: NodeId, key: Uint8Array): void {
    request.asking(node);
    if (node === this.id) {
      // This replica's stored bytes go through the same decode cache as the replies: when the other replicas
      // agree they send these very bytes, and their replies then share this one decoded set — one checksum
      // and decode per read instead of two, and merges and repair checks by identity.
      let set: SiblingSet;
      try {
        const stored = this.engine.get(dataKey(key));
        set = stored === undefined ? emptySet(this.mode) : request.decodedReply(stored, decodeOwnedSiblingSet);
      } catch {
        // A read fault or a corrupt block: silent, as a remote replica is ('replica-read'), and the read asks
        // another (found by a review: it was thrown through get() and ended the simulated run).
        return;
      }
      this.env.clock.setTimer(0, () => request.reply(this.id, set));
      return;
    }
    this.send(node, { type: 'replica-read', requestId: request.requestId, key });
  }

  private readRepair(key: Uint8Array, merged: SiblingSet, stale: NodeId[]): void {
    if (stale.length === 0) return;
    const encoded = encodeSiblingSet(merged);
    for (const node of stale) {
      this.counters.readRepairs++;
      if (node === this.id) this.storeReplica(key, merged, '', () => {});
      else this.send(node, { type: 'replica-write', requestId: 0, key, siblings: encoded, hintFor: '', ttlMicros: 0 });
    }
  }

  // ---------------------------------------------------------------------------------------------- replica side

  private loadSet(key: Uint8Array): SiblingSet {
    return this.loadStored(key).set;
  }

  /**
   * The encoding of this replica's sibling set for `key`: the stored bytes themselves (what encoding the
   * decoded set would give back: the encoding is canonical), or the empty set's when absent. Not decoded here:
   * whoever receives them decodes and checks them.
   */
  private storedBytes(key: Uint8Array): Uint8Array {
    return this.engine.get(dataKey(key)) ?? encodeSiblingSet(emptySet(this.mode));
  }

  /** This replica's sibling set for `key`, and the stored bytes it was decoded from (null when absent). */
  private loadStored(key: Uint8Array): StoredSet {
    const stored = this.engine.get(dataKey(key));
    // engine.get returns a fresh copy that only this call holds: decode in place.
    return stored === undefined ? { set: emptySet(this.mode), bytes: null } : { set: decodeOwnedSiblingSet(stored), bytes: stored };
  }

  /**
   * Merges `incoming` into this replica's copy and makes it durable; with `hintFor`, also records a durable
   * hint to hand the key to that owner. `done` runs after the fsync that covers both.
   *
   * `incomingBytes` (the encoding of `incoming`, if the caller has it) and `local` (this replica's copy, if the
   * caller loaded it in this same turn) only save work: when the merge comes out equal to one of the two sets —
   * the usual case, a replica taking a newer write or a write it already holds — its existing encoding is
   * stored instead of encoding the merge again (the encoding is canonical: equal sets, equal bytes).
   */
  private storeReplica(
    key: Uint8Array, incoming: SiblingSet, hintFor: NodeId | readonly NodeId[], done: (error: Error | null) => void,
    incomingBytes: Uint8Array | null = null, local: StoredSet | null = null,
  ): void {
    this.counters.replicaWrites++;
    let merged: SiblingSet;
    let stored: StoredSet;
    try {
      stored = local ?? this.loadStored(key);
      merged = merge(stored.set, incoming);
    } catch (error) {
      this.env.clock.setTimer(0, () => done(error as Error));
      return;
    }
    let value: Uint8Array;
    // The engine copies every key and value into its memtable's arena, so existing bytes (a view into
    // engine.get's copy slab, or into a message) are passed as they are; a fresh encoding nobody else holds is
    // handed over (`transfer`), which only spares the copy a write stalled behind a full memtable would take.
    let transfer = false;
    if (stored.bytes !== null && sameSet(merged, stored.set)) {
      value = stored.bytes;
    } else if (incomingBytes !== null && sameSet(merged, incoming)) {
      value = incomingBytes;
    } else {
      value = encodeSiblingSet(merged);
      transfer = true;
    }
    const ops: Parameters<StorageEngine['writeBatch']>[0][number][] = [{ type: 'put', key: dataKey(key), value, ...this.recordTtl(merged, stored.set) }];
    const hinted: NodeId[] = [];
    for (const owner of typeof hintFor === 'string' ? [hintFor] : hintFor) {
      if (owner === '' || owner === this.id || !this.config.hintedHandoff) continue;
      hinted.push(owner);
      this.counters.hintsStored++;
      const stored = hintKey(owner, key);
      // A later hinted write to the same key re-stamps the hint already waiting for (owner, key) instead of
      // adding one: a single later delivery carries both (unless the first is on its way, then it takes two).
      const known = this.noteHintOwner(owner);
      let stampMicros = this.env.clock.nowMicros();
      try {
        const waiting = known ? this.engine.getView(stored) : undefined;
        if (waiting !== undefined) {
          this.counters.hintsRefreshed++;
          // The stamp names this hint's generation: an answered offer drops the hint only if the stamp it
          // carried is still the one stored (hintDelivered). A clock stepped back (NTP, a restart on another
          // clock) could hand a later write an equal or older stamp, and its hint would be dropped with the
          // earlier offer's answer; so a re-stamp always moves forward.
          stampMicros = Math.max(stampMicros, decodeMicros(waiting) + 1);
        }
      } catch {
        // A read fault here is the write's business below (the batch fails with it), not the stamp's.
      }
      ops.push({ type: 'put', key: stored, value: encodeMicros(stampMicros) });
    }
    // A delivery round that ran while this write was stalled in the engine (a full memtable) found no hint for
    // the owner and dropped it from hintOwners: once the hint is in, the owner is noted again.
    const written = hinted.length === 0 ? done : (error: Error | null) => {
      if (error === null) for (const owner of hinted) this.noteHintOwner(owner);
      done(error);
    };
    try {
      this.engine.writeBatch(ops, written, transfer); // with transfer: every key and value above is a fresh buffer only the engine keeps
    } catch (error) {
      this.env.clock.setTimer(0, () => done(error as Error));
    }
  }

  /**
   * The engine TTL of a stored record: none while any version lives on with no end; once every version is a
   * tombstone or has a TTL, the record is kept until the last of them died plus the storage's
   * tombstoneGraceMicros (purgeableAtMicros), then the engine drops it. Versions are filtered at read time
   * anyway; the dead record is kept that long because its context is what supersedes the older value a
   * replica that missed the delete or the overwrite still holds (a review found a TTL'd overwrite dropped 3 h
   * after expiry letting the overwritten value come back through read repair and anti-entropy, and plain
   * deletes kept forever).
   *
   * Death times come from the writers' clocks and are judged by this node's. So that a clock off by more than
   * the grace (a coordinator days slow, this node days fast) cannot purge at once the record that just
   * superseded a value this node held — which then came back from a replica that missed the delete (the next
   * review) — a record stored over one this node already held is kept at least the grace from now. That holds
   * when it is stored again unchanged too (a retried delete, a repeated hint): a rule on "held a live value"
   * gave the second copy of a delete the shortest TTL (the review after). A dead record arriving where nothing
   * is held keeps the absolute time: replicas then purge together instead of handing it back and forth through
   * anti-entropy for ever, and one that arrives already past its grace (a late hint) gets the shortest TTL.
   */
  private recordTtl(set: SiblingSet, before: SiblingSet): { ttlMicros?: number } {
    const grace = this.engine.options.tombstoneGraceMicros;
    const purgeAt = purgeableAtMicros(set, grace);
    if (purgeAt === null) return {};
    const heldBefore = before.versions.length > 0;
    return { ttlMicros: Math.max(1, purgeAt - this.env.clock.nowMicros(), heldBefore ? grace : 0) };
  }

  // ---------------------------------------------------------------------------------------------- hinted handoff

  private scheduleHints(): void {
    if (this.stopped) return;
    const jitter = this.env.random.int(Math.max(1, Math.floor(this.config.hintIntervalMicros / 4)));
    this.hintTimer = this.env.clock.setTimer(this.config.hintIntervalMicros + jitter, () => {
      this.deliverHints();
      this.scheduleHints();
    });
  }

  /**
   * One delivery round: offers up to hintBatch waiting hints to their owners. As in Dynamo (§4.6), a stand-in
   * hands hints back once it sees the owner has recovered. An owner this node suspects (it left a hint, a
   * read or a write unanswered within the request timeout) is offered one hint per round, as a probe, until
   * it answers (any message from it clears the suspicion); the next round then offers the rest.
   *
   * Before, every round read the whole hint range and re-offered every waiting hint, also to owners on the
   * far side of a partition, and a long run of hints for one unreachable owner could fill every batch and
   * starve the owners behind it (test/core/replication/hint-probe.test.ts shows both).
   */
  private deliverHints(): void {
    if (!this.config.hintedHandoff) return;
    // Every offer of a round shares one deadline, so one timer expires them all, in offer order. (One timer
    // per offer was ~5 % of all events in partition-500, whose stand-ins re-offer thousands of hints a second
    // to owners across the partition.)
    const roundIds: number[] = [];
    try {
      this.offerHints(roundIds);
    } catch {
      // A read fault (an injected one, a bad checksum) ends the round early: what it offered keeps its deadline
      // below, and the next round reads again. Thrown on, it would have killed the timer that runs the rounds.
    }
    if (roundIds.length > 0) {
      this.env.clock.setTimer(this.config.requestTimeoutMicros, () => {
        for (let i = 0; i < roundIds.length; i++) {
          const unanswered = this.pendingHints.get(roundIds[i]!);
          if (unanswered === undefined) continue;
          this.pendingHints.delete(roundIds[i]!);
          this.hintLanded(unanswered.marker);
          unanswered.owner.inFlight--;
          // Silent within the request timeout: suspected, like a replica that left a read or write unanswered.
          this.suspicion.suspect(unanswered.owner.id);
        }
      });
    }
  }

  /** The body of a delivery round (see deliverHints): pushes each offer's request id as it sends. */
  private offerHints(roundIds: number[]): void {
    const owners = (this.hintOwners ??= this.ownersWithHints());
    if (owners.length === 0) return;
    const now = this.env.clock.nowMicros();
    let offered = 0;
    const first = this.hintRound++ % owners.length;
    const emptied: HintOwner[] = [];
    for (let i = 0; i < owners.length && offered < this.config.hintBatch; i++) {
      const owner = owners[(first + i) % owners.length]!;
      if (this.hasLeft(owner.id)) {
        if (this.rehomeHints(owner) === 0) emptied.push(owner);
        continue;
      }
      // A suspected owner gets one hint, as a probe: its answer clears the suspicion, so the rest follow
      // within a round of its return (waiting for the suspicion to lapse instead let stale reads through).
      const suspected = this.suspicion.isSuspected(owner.id);
      if (suspected && owner.inFlight > 0) continue; // the probe is still out
      if (suspected && owner.probe !== null) {
        // The hint probed last round, found by key: an owner that stays away is probed every round, and a
        // point lookup is a fraction of what setting up a range scan over the memtables and tables costs.
        const stamp = this.engine.getView(owner.probe);
        if (stamp !== undefined && this.offerHint(owner, owner.probe, stamp, now, roundIds) === 'offered') {
          offered++;
          continue;
        }
        owner.probe = null;
      }
      const limit = suspected ? 1 : this.config.hintBatch;
      // A probe needs one live hint; a few records per read let it step over expired ones.
      const chunk = suspected ? PROBE_SCAN_CHUNK : HINT_SCAN_CHUNK;
      let offeredToOwner = 0;
      let from = owner.prefix;
      let found = 0;
      scanning: for (;;) {
        const records = this.engine.scan({ start: from, end: owner.end }, chunk);
        found += records.length;
        for (const record of records) {
          if (this.offerHint(owner, record.key, record.value, now, roundIds) !== 'offered') continue;
          if (suspected) owner.probe = record.key.slice();
          if (++offered >= this.config.hintBatch || ++offeredToOwner >= limit) break scanning;
        }
        if (records.length < chunk) break;
        from = keySuccessor(records[records.length - 1]!.key);
      }
      // A hint stays in the engine until its delivery is acknowledged, so an empty range means none in flight.
      if (found === 0) emptied.push(owner);
    }
    if (emptied.length > 0) this.hintOwners = owners.filter((owner) => !emptied.includes(owner));
    // Owners that got re-homed hints this round, noted after the filter: one found empty earlier in the round
    // must not be dropped with its new hints in the engine (it would never be scanned again).
    for (const node of this.rehomedTo.splice(0)) this.noteHintOwner(node);
  }

  /**
   * Offers the hint stored under `stored` (its value: the stamp) to its owner, unless it is already on its
   * way or has expired (then it is dropped). Pushes the offer's request id for the round's deadline.
   */
  private offerHint(owner: HintOwner, stored: Uint8Array, stamp: Uint8Array, now: number, roundIds: number[]): 'offered' | 'in-flight' | 'expired' | 'rehomed' {
    const marker = hintMarker(stored);
    if (owner.inFlight > 0 && this.hintsInFlight.has(marker)) return 'in-flight';
    const storedAtMicros = decodeMicros(stamp);
    const key = stored.subarray(owner.prefix.length);
    if (now - storedAtMicros > this.config.hintWindowMicros) {
      // This node owns the key: its own replica holds the write, and repair brings it to the owner later.
      if (this.preferenceList(key).includes(this.id)) {
        this.dropHint(stored, 'hintsExpired');
        return 'expired';
      }
      // A stand-in's copy may be the only one the write has (W met by stand-ins while every owner was cut off),
      // and only hints move it: dropped undelivered, an acknowledged write was lost (found by a review, owners
      // cut off for 4 h). So it goes to one other owner instead, with a fresh window; with no other owner (N=1)
      // it stays and keeps being offered to its own.
      const other = this.handOverTarget(key, owner.id);
      if (other !== undefined) {
        const ops: WriteOp[] = [];
        this.rehomeHint(owner, stored, encodeMicros(now), ops, [other]);
        this.engine.writeBatch(ops, (error) => {
          if (error === null) this.counters.hintsExpired++;
        });
        return 'expired';
      }
    }
    // Only a changing ring moves keys (membership on); with the static list every hint's owner still owns its key.
    if (this.ringCanChange && !this.preferenceList(key).includes(owner.id)) {
      const ops: WriteOp[] = [];
      this.rehomeHint(owner, stored, stamp, ops);
      this.counters.hintsRehomed++;
      this.engine.writeBatch(ops, () => {});
      return 'rehomed';
    }
    const requestId = this.newRequestId();
    const siblings = this.storedBytes(key); // may throw (a read fault): before anything is recorded
    this.hintsInFlight.set(marker, (this.hintsInFlight.get(marker) ?? 0) + 1);
    owner.inFlight++;
    this.pendingHints.set(requestId, { owner, stored: stored.slice(), marker, storedAtMicros, sent: siblings });
    roundIds.push(requestId);
    // The stored bytes as they are (the owner decodes and checks them), and the key as a view (encodeMessage copies).
    this.send(owner.id, { type: 'hint-delivery', requestId, key, siblings, ttlMicros: 0 });
    return 'offered';
  }

  /** Membership is on (ring gossip): keys can move between owners. With the static list they never do. */
  private get ringCanChange(): boolean {
    return this.membershipState?.gossip.enabled === true;
  }

  /** Whether `node` has left the ring (membership on): it owns nothing, and a hint for it would wait in vain. */
  private hasLeft(node: NodeId): boolean {
    return this.ringCanChange && recordOf(this.membershipState!.state, node)?.status === 'left';
  }

  /**
   * Replaces (up to a scan chunk of) the hints held for an owner that has left with hints for each key's current
   * owners. Returns how many hints it moved; 0 once none is left.
   */
  private rehomeHints(owner: HintOwner): number {
    const records = this.engine.scan({ start: owner.prefix, end: owner.end }, HINT_SCAN_CHUNK);
    if (records.length === 0 || owner.inFlight > 0) return records.length;
    const ops: WriteOp[] = [];
    for (const record of records) {
      this.rehomeHint(owner, record.key, record.value, ops);
      this.counters.hintsRehomed++;
    }
    this.engine.writeBatch(ops, () => {});
    return records.length;
  }

  /**
   * The writes that replace one hint for `owner`, which no longer owns its key (it left, or a join moved the
   * key elsewhere), with hints for the key's current owners, stamps kept. Delivered to the old owner, the
   * version this node holds would sit on a node nobody reads the key from: replicas stayed divergent for good
   * after a leave, and at N = 1 acknowledged writes were lost after a join (found by a protocol review).
   * With `to`, the hint goes to those nodes instead (an expired hint handed to another owner; see offerHint).
   * The caller counts it.
   */
  private rehomeHint(owner: HintOwner, stored: Uint8Array, stamp: Uint8Array, ops: WriteOp[], to?: readonly NodeId[]): void {
    const key = stored.subarray(owner.prefix.length);
    for (const node of to ?? this.preferenceList(key)) {
      if (node === this.id || node === owner.id) continue;
      const moved = hintKey(node, key);
      this.counters.hintsStored++;
      // A hint already waiting for that owner keeps the later stamp: re-stamps only move forward, which is
      // what lets an answer to an older offer tell that a newer version is still to be delivered.
      const waiting = this.engine.getView(moved);
      let value = stamp.slice();
      if (waiting !== undefined) {
        this.counters.hintsRefreshed++;
        if (decodeMicros(waiting) > decodeMicros(stamp)) value = waiting.slice();
      }
      ops.push({ type: 'put', key: moved, value });
      this.rehomedTo.push(node);
    }
    ops.push({ type: 'delete', key: stored.slice() });
  }

  /** The owner of `key` other than `expiredOwner` (and this node) that an expired hint goes to: the first not suspected, else the first. */
  private handOverTarget(key: Uint8Array, expiredOwner: NodeId): NodeId | undefined {
    const others = this.preferenceList(key).filter((node) => node !== this.id && node !== expiredOwner);
    return others.find((node) => !this.suspicion.isSuspected(node)) ?? others[0];
  }

  /** An offer with this marker was answered or timed out. */
  private hintLanded(marker: number): void {
    const left = (this.hintsInFlight.get(marker) ?? 0) - 1;
    if (left > 0) this.hintsInFlight.set(marker, left);
    else this.hintsInFlight.delete(marker);
  }

  /**
   * Adds `owner` to hintOwners unless it is there. True when it was there already, or when the list is not
   * read off the engine yet (then any hint may exist).
   */
  private noteHintOwner(owner: NodeId): boolean {
    if (this.hintOwners === undefined || this.hintOwners.some((entry) => entry.id === owner)) return true;
    this.hintOwners.push(hintOwner(owner));
    return false;
  }

  /** The owners of the hints in the engine, read off its hint range one owner at a time. */
  private ownersWithHints(): HintOwner[] {
    const owners: HintOwner[] = [];
    let from: Uint8Array = HINT_PREFIX;
    for (;;) {
      const [record] = this.engine.scan({ start: from, end: HINT_RANGE_END }, 1);
      if (record === undefined) return owners;
      const owner = hintOwner(parseHintKey(record.key).owner);
      owners.push(owner);
      from = owner.end;
    }
  }

  private hintDelivered(requestId: number, ok: boolean): void {
    const hint = this.pendingHints.get(requestId);
    if (hint === undefined) return;
    this.pendingHints.delete(requestId);
    hint.owner.inFlight--;
    const stored = hint.stored;
    this.hintLanded(hint.marker);
    if (!ok) return;
    let current: Uint8Array | undefined;
    try {
      current = this.engine.getView(stored);
    } catch {
      return; // unreadable here: the hint stays, the next round tries again
    }
    // A newer hinted write for the same key re-stamped the hint after we sent: keep it for the next round.
    if (current === undefined || decodeMicros(current) !== hint.storedAtMicros) return;
    const key = stored.subarray(hint.owner.prefix.length);
    const reclaim = this.standInCopyReclaimable(key, stored, hint.sent);
    if (reclaim === 'with-own-dots') this.freshActor();
    this.dropHint(stored, 'hintsDelivered', reclaim === false ? null : key);
  }

  /**
   * Whether a stand-in may remove its copy of `key` together with the hint just delivered. A copy kept after
   * every hint for it has gone is a stray: no owner's repair ever reaches a non-owner, so a later delete or
   * overwrite never lands there, and once the owners purge their tombstone (after the grace) that old value
   * was the only one left — served back to any read that asked this node to stand in again (found by a
   * review: a late read repair left a deleted value on a stand-in for good).
   *
   * It may, when all of these hold (otherwise the copy stays):
   * - this node does not own the key now, and no membership change is under way that could make it one;
   * - no hint for another owner still needs the copy;
   * - the copy is byte for byte the one the owner just acknowledged: nothing arrived here since the offer.
   *
   * 'with-own-dots': the copy holds a version, or a clock entry, of this node's current actor (it coordinated
   * the write as a stand-in). A coordinator draws its next dot for a key from its stored copy
   * (core/versioning/dvv.ts nextCounter), and the clock entry of that dot covers every earlier dot of the actor:
   * without the copy, a later write it coordinates would claim to have seen — and so erase — the handed-off
   * versions (found by `dynalab check`: a lost write with N=1 and a stand-in). Kept for that, though, the copy
   * was a stray that a later ring change's cleanup offered back after the delete's tombstone was purged (a
   * fuzzing review: deleted values back at N=1). So the caller takes a fresh actor before removing it, as the
   * lost-arc cleanup does.
   */
  private standInCopyReclaimable(key: Uint8Array, deliveredHint: Uint8Array, sent: Uint8Array): boolean | 'with-own-dots' {
    if (this.hintOwners === undefined) return false;
    if (this.ringCanChange && inTransition(this.membershipState!.state)) return false;
    if (this.preferenceList(key).includes(this.id)) return false;
    try {
      if (this.hintWaitsFor(key, this.hintOwners, deliveredHint)) return false;
      const stored = this.loadStored(key);
      if (stored.bytes === null || !bytesEqual(stored.bytes, sent)) return false;
      return this.holdsOwnDots(stored.set) ? 'with-own-dots' : true;
    } catch {
      return false; // unreadable here: keep it (the next delivery round, or an operator, sees it again)
    }
  }

  /** Whether a hint for `key` to one of `owners` is stored here, other than the record `except`. May throw (a read fault). */
  private hintWaitsFor(key: Uint8Array, owners: readonly HintOwner[], except?: Uint8Array): boolean {
    for (const owner of owners) {
      const stored = hintKey(owner.id, key);
      if ((except === undefined || !bytesEqual(stored, except)) && this.engine.getView(stored) !== undefined) return true;
    }
    return false;
  }

  /**
   * Removes a delivered (or expired) hint, and with `reclaimCopyOf` the stand-in's copy of that key too — only
   * when standInCopyReclaimable said it may go. An expired hint's copy stays: it may be the last one its owner
   * could still get.
   */
  private dropHint(stored: Uint8Array, outcome: 'hintsDelivered' | 'hintsExpired', reclaimCopyOf: Uint8Array | null = null): void {
    const ops: WriteOp[] = [{ type: 'delete', key: stored }];
    // One batch: the copy never goes without its hint record, and never stays behind one that is gone.
    if (reclaimCopyOf !== null) ops.push({ type: 'delete', key: dataKey(reclaimCopyOf) });
    // Counted once the delete is durable: a hint whose delete failed is still there and will be offered again.
    this.engine.writeBatch(ops, (error) => {
      if (error !== null) return;
      this.counters[outcome]++;
      if (reclaimCopyOf !== null) this.counters.standInCopiesReclaimed++;
    });
  }

  // ---------------------------------------------------------------------------------------------- anti-entropy

  /**
   * Starts one Merkle anti-entropy exchange now with a random healthy peer replica (the timer does this every
   * antiEntropyInterval). False if one is already running or no peer is eligible.
   */
  runAntiEntropy(): boolean {
    return this.antiEntropy?.runOnce() ?? false;
  }

  /**
   * Wires core/antientropy to this node. Every node answers exchanges; only a node with an interval starts
   * them, so with the default (0) there is no timer and no random draw and runs replay as before.
   */
  private startAntiEntropy(): void {
    const node = this;
    this.antiEntropy = new AntiEntropy(
      {
        self: this.id,
        get ring() {
          return node.ring; // follows membership changes (AntiEntropy.ringChanged drops its cached peers)
        },
        n: this.config.n,
        clock: this.env.clock,
        random: this.env.random.fork('anti-entropy'),
        counters: this.counters,
        send: (to, message) => this.send(to, message),
        records: (visit) => this.visitDataRecords(visit),
        load: (key) => this.loadSet(key),
        purgeable: (set) => purgeable(set, this.env.clock.nowMicros(), this.engine.options.tombstoneGraceMicros),
        store: (key, set) => this.storeReplica(key, set, '', () => {}),
        isSuspected: (peer) => this.suspicion.isSuspected(peer),
      },
      {
        intervalMicros: this.config.antiEntropyIntervalMicros,
        keyBudget: this.config.antiEntropyKeyBudget,
        setsBytes: this.config.antiEntropySetsBytes,
        sessionTimeoutMicros: 4 * this.config.requestTimeoutMicros,
      },
    );
    this.antiEntropy.start();
  }

  /**
   * This replica's data records (not hints), for building Merkle trees: user key and stored set, as views of
   * the engine's bytes (engine.visit), not copies. A scan here copied every key and value the node held on
   * each side of every exchange (found by a review: 800 × 256 KiB values, 200 MiB copied, 491 ms blocked).
   * Throws on a corrupt block or read fault; the exchange then builds an empty tree.
   */
  private visitDataRecords(visit: (key: Uint8Array, siblings: Uint8Array) => void): void {
    this.engine.visit({ prefix: DATA_PREFIX }, (key, value) => {
      visit(userKeyOfData(key), value);
      return true;
    });
  }

  // ---------------------------------------------------------------------------------------------- membership

  /** Ring state, joins and leaves (undefined before start). Figures: `membership.changes`, `.transfer.figures`. */
  get membership(): Membership | undefined {
    return this.membershipState;
  }

  /** Joins a running cluster through `seed` (needs ringGossipIntervalMicros); data is copied in before the ring switches. */
  join(seed: NodeId, weight = 1): void {
    if (this.membershipState === undefined) throw new Error(`node ${this.id} is not started`);
    this.membershipState.join(seed, weight);
  }

  /** Hands this node's ranges to their new owners, then leaves the ring (needs ringGossipIntervalMicros). */
  leave(): void {
    if (this.membershipState === undefined) throw new Error(`node ${this.id} is not started`);
    this.membershipState.leave();
  }

  /**
   * Wires core/membership to this node. With the default interval 0 there is no timer, no random draw and no
   * message, and the ring stays the one built from the static member list: runs replay exactly as before.
   */
  private startMembership(): void {
    const m = this.membershipConfig;
    this.membershipState = new Membership(
      {
        self: this.id,
        clock: this.env.clock,
        random: this.env.random.fork('ring-gossip'),
        n: this.config.n,
        strategy: m.partitioning,
        send: (to, message) => this.send(to, message),
        scanAfter: (after, limit) => this.dataRecordsAfter(after, limit),
        store: (key, siblings, done) => {
          let set: SiblingSet;
          try {
            set = decodeOwnedSiblingSet(siblings);
          } catch (error) {
            this.counters.malformedMessages++;
            this.env.clock.setTimer(0, () => done(error as Error));
            return;
          }
          this.storeReplica(key, set, '', done);
        },
        ringChanged: () => {
          this.antiEntropy?.ringChanged();
          this.noteRingChangeForSweep();
        },
        // Fsynced like any write; a failed one leaves the last state kept (storage failure is reported anyway).
        persist: (records) => this.engine.put(RING_STATE_KEY, encodeMessage({ type: 'ring-gossip', requestId: 0, reply: false, records: [...records] }), undefined, () => {}),
        // Waits for the fsync (a failed one means failed storage, reported as such; the change goes on).
        persistCatchUp: (plan, done) => {
          if (plan === null) this.engine.delete(CATCH_UP_KEY, () => done());
          else this.engine.put(CATCH_UP_KEY, encoder.encode(JSON.stringify(plan)), undefined, () => done());
        },
      },
      this.config.members,
      this.initialRing,
      { gossipIntervalMicros: m.gossipMicros, settleMicros: m.settleMicros, batch: m.batch, scanLimit: 16 * m.batch, retryMicros: 4 * this.config.requestTimeoutMicros, skipTransfer: m.broken.skipTransfer === true },
      this.restoredRingRecords(),
      this.restoredCatchUp(),
    );
    this.membershipState.start();
  }

  /** The catch-up pass owed from before a restart (see persistCatchUp), if any and readable. */
  private restoredCatchUp(): CatchUpPlan | undefined {
    try {
      const stored = this.engine.get(CATCH_UP_KEY);
      if (stored === undefined) return undefined;
      const plan = JSON.parse(decoder.decode(stored)) as CatchUpPlan;
      return plan.direction === 'pull' || plan.direction === 'push' ? { direction: plan.direction } : undefined;
    } catch {
      return undefined; // unreadable: anti-entropy and read repair are what is left to bring those writes
    }
  }

  /** The ring state this node persisted before it restarted (none on a first start, or if unreadable). */
  private restoredRingRecords(): readonly MemberRecord[] {
    let stored: Uint8Array | undefined;
    try {
      stored = this.engine.get(RING_STATE_KEY);
    } catch {
      return []; // a corrupt block: gossip brings the state back, as it did before ring state was kept
    }
    if (stored === undefined) return [];
    try {
      const message = decodeMessage(stored);
      return message.type === 'ring-gossip' ? message.records : [];
    } catch {
      return [];
    }
  }

  /**
   * The transfer rule: while a join or leave is in flight, a write also goes (fire-and-forget, not counted
   * toward W) to the nodes that will own the key once it completes, so writes landing after the transfer
   * scanned the key are not left behind.
   */
  private sendToPendingOwners(key: Uint8Array, owners: readonly NodeId[], encoded: Uint8Array): void {
    if (this.membershipConfig.broken.skipPendingWrites === true) return;
    const pending = this.membershipState?.pendingOwners(key, owners) ?? [];
    for (const node of pending) {
      if (node !== this.id) this.send(node, { type: 'replica-write', requestId: 0, key, siblings: encoded, hintFor: '', ttlMicros: 0 });
    }
  }

  /**
   * After the ring changes, this node hands its records of keys it no longer replicates to the keys' owners and
   * then removes them — Cassandra's `nodetool cleanup`, run by itself, with a hand-off first. A node that loses
   * an arc to a join stops receiving that arc's writes and deletes; kept, its copy turned stale, and once the
   * owners had purged their tombstones (the grace), a leave that handed the arc back made that stale copy the
   * live value again — every owner read back deleted data, with no fault at all (found by a review: 103 of 200
   * deleted keys).
   *
   * Each record goes to every current owner of its key (as a hint delivery: an owner whose ring says otherwise
   * refuses it) and is removed only when all of them have acknowledged it and it has not changed meanwhile, so
   * the copy this node gives up is never the only one left (a plain delete lost writes whose only copy a joiner
   * had not pulled yet: the next review). A record an owner did not take stays, and the cleanup runs again.
   * Keys with a hint waiting here keep their copy (it is what the hint delivers).
   *
   * When: the cleanup is owed from the first ring change not yet cleaned up after (`sweepOwedSinceMicros`,
   * kept durably under SWEEP_OWED_KEY so a restart resumes it) and runs a wait after that — a quarter of the
   * tombstone grace, at most max(10 min, 20 settle periods), at least 3 settle periods. Later changes do not
   * push it back (under steady churn they did, past the grace, and the stale copies then offered brought
   * deleted values back: the review after), and a change under way only delays it a settle period. A change
   * that lands while a pass runs makes the pass end by owing another (the arcs it moved were not looked at).
   * What stays is Cassandra's gc_grace rule: a copy offered after the owners purged a delete's tombstone brings
   * the value back — here only when an owner stays unreachable for longer than the grace. Removing the copy
   * unoffered instead lost the only copy of acknowledged writes at N = 1 (the review after that).
   *
   * A copy with dots of this node's actor: a write this node coordinates draws its next dot from its copy, and
   * that dot's clock entry covers every earlier dot of the actor — without the copy, a later blind write here
   * would claim to have seen (and so erase) siblings it never saw (the review after). So when the cleanup
   * removes such a copy, the node takes a fresh actor (a new incarnation nonce) first.
   */
  private noteRingChangeForSweep(): void {
    this.ringChangesSeen++;
    if (this.stopped || this.sweepOwedSinceMicros !== undefined) return;
    const now = this.env.clock.nowMicros();
    this.sweepOwedSinceMicros = now;
    this.engine.put(SWEEP_OWED_KEY, encodeMicros(now), undefined, () => {}); // fsynced like any write; a failed one only loses the resume
    this.scheduleLostArcSweep(this.sweepWaitMicros());
  }

  private sweepWaitMicros(): number {
    const grace = this.engine.options.tombstoneGraceMicros;
    const settle = this.membershipConfig.settleMicros;
    return Math.max(3 * settle, 1, Math.min(Math.floor(grace / 4), Math.max(600_000_000, 20 * settle)));
  }

  /** Starts the cleanup `delayMicros` from now, unless one is already pending or running. */
  private scheduleLostArcSweep(delayMicros: number): void {
    if (this.stopped || this.sweepTimer !== undefined || this.sweepRunning) return;
    this.sweepTimer = this.env.clock.setTimer(Math.max(1, delayMicros), () => {
      this.sweepTimer = undefined;
      this.sweepRunning = true;
      this.sweepLostArcs(EMPTY_KEY, false);
    });
  }

  /** On start: the cleanup a previous incarnation still owed, if any (SWEEP_OWED_KEY), due when it was. */
  private resumeLostArcSweep(): void {
    let stored: Uint8Array | undefined;
    try {
      stored = this.engine.get(SWEEP_OWED_KEY);
    } catch {
      stored = undefined;
    }
    if (stored === undefined) return;
    this.sweepOwedSinceMicros = decodeMicros(stored);
    this.scheduleLostArcSweep(this.sweepOwedSinceMicros + this.sweepWaitMicros() - this.env.clock.nowMicros());
  }

  /**
   * One chunk of the cleanup (see noteRingChangeForSweep), from the data record after `after`: offers the
   * chunk's lost-arc records to their owners, and once every answer is in (or the deadline passed) removes
   * those all owners took, then goes on with the next chunk. `keptBefore`: an earlier chunk of this pass kept a
   * record (the pass then ends by scheduling another: the review after found a record kept in any chunk but the
   * last never offered again).
   */
  private sweepLostArcs(after: Uint8Array, keptBefore: boolean, changesAtStart = this.ringChangesSeen): void {
    if (this.stopped) return;
    const state = this.membershipState?.state;
    if (state === undefined || inTransition(state) || this.sweepOwedSinceMicros === undefined) {
      this.sweepRunning = false;
      if (this.sweepOwedSinceMicros !== undefined) this.scheduleLostArcSweep(this.membershipConfig.settleMicros);
      return;
    }
    const chunk = this.dataRecordsAfter(after, SWEEP_CHUNK);
    const entries: SweepEntry[] = [];
    const ids: number[] = [];
    // A record kept for a waiting hint counts as kept: the cleanup is owed until a pass finds it gone (a review
    // found one left behind for good — the pass ended, the hint was delivered, and the copy, holding this node's
    // own dots, was not reclaimed with it; after the grace the next change's cleanup offered it, and a deleted
    // value came back).
    let waitingOnHints = false;
    try {
      const hintOwners = this.ownersWithHints();
      for (const { key, siblings } of chunk) {
        const owners = this.preferenceList(key);
        if (owners.includes(this.id)) continue;
        if (this.hintWaitsFor(key, hintOwners)) {
          waitingOnHints = true;
          continue;
        }
        const entry: SweepEntry = { key, sent: siblings.slice(), waiting: owners.length, failed: owners.length === 0 };
        entries.push(entry);
        for (const owner of owners) {
          const requestId = this.newRequestId();
          this.sweepPushes.set(requestId, entry);
          ids.push(requestId);
          this.send(owner, { type: 'hint-delivery', requestId, key, siblings: entry.sent, ttlMicros: 0 });
        }
      }
    } catch {
      for (const id of ids) this.sweepPushes.delete(id);
      this.sweepRunning = false;
      this.scheduleLostArcSweep(this.sweepWaitMicros()); // a read fault: try again after the next wait
      return;
    }
    const settle = (): void => {
      if (this.stopped) return;
      for (const id of ids) this.sweepPushes.delete(id);
      const ops: WriteOp[] = [];
      let kept = keptBefore || waitingOnHints;
      let ownDots = false;
      for (const entry of entries) {
        let current: Uint8Array | undefined;
        try {
          current = this.engine.getView(dataKey(entry.key));
        } catch {
          current = undefined;
        }
        // Changed since it was offered (or unreadable): the owners may not have what it holds now.
        if (entry.failed || entry.waiting > 0 || current === undefined || !bytesEqual(current, entry.sent) || this.preferenceList(entry.key).includes(this.id)) {
          kept = true;
          continue;
        }
        ops.push({ type: 'delete', key: dataKey(entry.key) });
        if (!ownDots) {
          try {
            ownDots = this.holdsOwnDots(decodeSiblingSet(current));
          } catch {
            ownDots = true; // undecodable: assume the worst
          }
        }
      }
      if (ownDots) this.freshActor();
      if (ops.length > 0) {
        const removed = ops.length;
        this.engine.writeBatch(ops, (error) => {
          if (error === null) this.counters.lostArcRecordsRemoved += removed;
        });
      }
      if (chunk.length === SWEEP_CHUNK) {
        this.sweepLostArcs(chunk[chunk.length - 1]!.key.slice(), kept, changesAtStart);
        return;
      }
      this.sweepRunning = false;
      // Some owner did not take its copy, or the ring changed during the pass: again later.
      if (kept || this.ringChangesSeen !== changesAtStart) {
        this.scheduleLostArcSweep(this.sweepWaitMicros());
        return;
      }
      // Done: nothing more owed until the next ring change.
      this.sweepOwedSinceMicros = undefined;
      this.engine.delete(SWEEP_OWED_KEY, () => {});
    };
    if (entries.length === 0) {
      this.env.clock.setTimer(0, settle);
      return;
    }
    // Every answer in, or the deadline: whichever comes first settles the chunk.
    let settled = false;
    const once = (): void => {
      if (settled) return;
      settled = true;
      this.env.clock.cancelTimer(deadline);
      this.sweepChunkDone = undefined;
      settle();
    };
    const deadline = this.env.clock.setTimer(4 * this.config.requestTimeoutMicros, once);
    this.sweepChunkDone = () => {
      if (entries.every((entry) => entry.waiting === 0 || entry.failed)) once();
    };
  }

  /** Whether `set` holds a version, or a clock entry, of this node's current actor. */
  private holdsOwnDots(set: SiblingSet): boolean {
    const actor = this.actor;
    return set.versions.some((version) => version.dot.actor === actor) || set.clock.some((entry) => entry.actor === actor);
  }

  /**
   * Takes a fresh actor: same node and epoch, a new incarnation nonce. Dots of the old actor stay valid
   * wherever they are; no later write of this node claims anything about them.
   */
  private freshActor(): void {
    this.actor = this.drawActor();
    this.counters.actorsRenewed++;
  }

  /** An actor id for this node: `id#epoch.nonce` (see incarnationNonce). */
  private drawActor(): string {
    return `${this.id}#${this.epoch}.${incarnationNonce(this.env.random)}`;
  }

  /** An owner answered a cleanup offer (see sweepLostArcs). */
  private sweepAcked(requestId: number, ok: boolean): void {
    const entry = this.sweepPushes.get(requestId);
    if (entry === undefined) return;
    this.sweepPushes.delete(requestId);
    if (ok) entry.waiting--;
    else entry.failed = true;
    this.sweepChunkDone?.();
  }

  /** Data records (user key, sibling-set bytes) in key order strictly after `after`, at most `limit`. */
  private dataRecordsAfter(after: Uint8Array, limit: number): { key: Uint8Array; siblings: Uint8Array }[] {
    const start = after.length === 0 ? DATA_PREFIX : dataKey(after);
    const end = prefixEnd(DATA_PREFIX);
    const out: { key: Uint8Array; siblings: Uint8Array }[] = [];
    let records: { key: Uint8Array; value: Uint8Array }[];
    try {
      records = this.engine.scan(end === undefined ? { start } : { start, end }, limit + 1);
    } catch {
      return out; // a corrupt block: the source sends nothing more; anti-entropy and read repair cover it
    }
    for (const record of records) {
      const key = userKeyOfData(record.key);
      if (after.length > 0 && compareBytes(key, after) <= 0) continue;
      if (out.length >= limit) break;
      out.push({ key: key.slice(), siblings: record.value });
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------- messages

  private send(to: NodeId, message: Message): void {
    this.env.transport.send(to, encodeMessage(message));
  }

  private receive(from: NodeId, bytes: Uint8Array): void {
    if (this.stopped) return;
    let message: Message;
    try {
      message = decodeMessage(bytes);
    } catch (error) {
      if (!(error instanceof MessageDecodeError)) throw error;
      this.counters.malformedMessages++;
      return;
    }
    this.suspicion.heardFrom(from);
    switch (message.type) {
      case 'coordinate': {
        if (this.seenCoordinate(from, message.requestId)) {
          this.counters.duplicateRequestsIgnored++; // the first copy answers
          return;
        }
        const refuse = (error: string, code: WriteResult['code'] = 'bad-request'): void =>
          this.send(from, { type: 'coordinate-reply', requestId: message.requestId, status: 'fail', error, context: new Uint8Array(0), acks: 0, siblings: 0, code });
        // What the entry node checked is checked again: a peer with other settings (a larger n) or another version
        // must get an answer, not throw out of this handler (found by a review: w=0 from a peer threw a RangeError).
        const badW = this.wProblem(message.w);
        if (badW !== null) return refuse(`${badW} (do ${from} and ${this.id} have the same n?)`);
        const limit = checkKey(message.key) ?? (message.value === null ? null : checkValue(message.value));
        if (limit !== null) return refuse(limit.message, limit.code);
        let context: Context = EMPTY_CONTEXT;
        try {
          if (message.context.length > 0) context = decodeContext(message.context, message.key);
        } catch (error) {
          return refuse(contextProblem(error));
        }
        const forwardId = `${from}/${message.requestId}`;
        if (this.cancelledBeforeArrival.has(forwardId) && this.forgetStaleCancels(forwardId)) {
          const cancelled = this.cancelledResult(from);
          return refuse(cancelled.error, cancelled.code);
        }
        const running: ForwardedWrite = { from, cancelled: false };
        this.forwardedRunning.set(forwardId, running);
        this.coordinateWrite(message, context, false, (result) => {
          this.forwardedRunning.delete(forwardId);
          // The siblings count travels too: without it a forwarded blind write beside another version came back with
          // neither a context nor the count, indistinguishable from "nothing to resolve" (found by a review).
          this.send(from, { type: 'coordinate-reply', requestId: message.requestId, status: result.status, error: result.error, context: result.context, acks: result.acks, siblings: result.siblings ?? 0, code: result.code });
        }, null, running);
        return;
      }
      case 'coordinate-cancel': {
        const forwardId = `${from}/${message.requestId}`;
        const running = this.forwardedRunning.get(forwardId);
        if (running !== undefined) {
          running.cancelled = true; // a conditional write checks it before it writes (see coordinateWrite)
          return;
        }
        if (this.coordinatesSeen.has(forwardId)) return; // already answered
        this.forgetStaleCancels(null);
        this.cancelledBeforeArrival.set(forwardId, this.env.clock.nowMicros());
        if (this.cancelledBeforeArrival.size > COORDINATES_REMEMBERED) this.cancelledBeforeArrival.delete(this.cancelledBeforeArrival.keys().next().value!);
        return;
      }
      case 'coordinate-reply': {
        const callback = this.pendingForwards.get(message.requestId);
        if (callback === undefined) return;
        this.pendingForwards.delete(message.requestId);
        callback(message);
        return;
      }
      case 'replica-write':
      case 'hint-delivery': {
        // A hint is meant for a key's owner. A stand-in whose ring is stale (it missed a join while cut off)
        // can offer it to a node that no longer owns the key; taken here, the version would sit where no read
        // looks, and the hint would be gone (found by `dynalab check` once it drew joins). Refused, the hint
        // stays, and the stand-in re-homes it once gossip brings it the ring (offerHint). Membership on only:
        // a static ring never moves a key.
        if (message.type === 'hint-delivery' && this.ringCanChange && !this.preferenceList(message.key).includes(this.id)) {
          this.send(from, { type: 'replica-write-ack', requestId: message.requestId, ok: false, error: `${this.id} does not own this key (the ring changed)` });
          return;
        }
        let set: SiblingSet;
        try {
          set = decodeOwnedSiblingSet(message.siblings); // a view into the decoder's private copy
        } catch {
          this.counters.malformedMessages++;
          if (message.requestId !== 0) this.send(from, { type: 'replica-write-ack', requestId: message.requestId, ok: false, error: 'malformed sibling set' });
          return;
        }
        const hintFor = message.type === 'replica-write' ? message.hintFor : '';
        this.storeReplica(message.key, set, hintFor, (error) => {
          if (message.requestId === 0) return; // read repair: fire and forget
          // Applied but not made durable: no answer is the honest one (the coordinator's timeout makes the
          // write's outcome unknown, and it suspects this node, whose storage has just failed).
          if (error instanceof WriteOutcomeUnknownError) return;
          this.send(from, { type: 'replica-write-ack', requestId: message.requestId, ok: error === null, error: error?.message ?? '' });
        }, message.siblings);
        return;
      }
      case 'replica-write-ack': {
        const request = this.pendingWrites.get(message.requestId);
        if (request !== undefined) this.writeReplied(request, from, message.ok, message.error);
        else if (this.sweepPushes.has(message.requestId)) this.sweepAcked(message.requestId, message.ok);
        else this.hintDelivered(message.requestId, message.ok);
        return;
      }
      case 'replica-read': {
        this.counters.replicaReads++;
        let siblings: Uint8Array;
        try {
          // A view is enough: send() encodes it into the reply before anything else reads this engine.
          siblings = this.engine.getView(dataKey(message.key)) ?? new Uint8Array(0);
        } catch {
          return; // a corrupt block: stay silent, the coordinator asks another replica
        }
        this.send(from, { type: 'replica-read-reply', requestId: message.requestId, found: siblings.length > 0, siblings });
        return;
      }
      case 'replica-read-reply': {
        const request = this.pendingReads.get(message.requestId);
        if (request === undefined) return;
        try {
          request.reply(from, message.found ? request.decodedReply(message.siblings, decodeOwnedSiblingSet) : emptySet(this.mode));
        } catch {
          this.counters.malformedMessages++;
        }
        return;
      }
      case 'key-scan': {
        let local: { keys: Uint8Array[]; truncated: boolean };
        try {
          local = this.localKeys(message.prefix, Math.max(1, Math.min(message.limit, 100_000)));
        } catch {
          return; // a corrupt block: stay silent, the scan reports this node as missing
        }
        this.send(from, { type: 'key-scan-reply', requestId: message.requestId, truncated: local.truncated, keys: local.keys });
        return;
      }
      case 'key-scan-reply':
        this.pendingScans.get(message.requestId)?.(from, message.keys, message.truncated);
        return;
      case 'ae-digests':
      case 'ae-sets':
        this.antiEntropy?.receive(from, message);
        return;
      case 'ring-gossip':
      case 'range-pull':
      case 'range-batch':
      case 'range-ack':
        this.membershipState?.receive(from, message);
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  /**
   * The key's clockwise walk, cut short: the N owners, then enough further nodes to hold N healthy stand-ins.
   * Walking the whole ring would cost O(cluster size) per request — 500 nodes in a big simulation.
   */
  private walk(key: Uint8Array): NodeId[] {
    // The same walk as core/ring's walkDistinct, written out: that generator and its per-call `seen` array
    // (one byte per node) were measurable at three walks per request in a 500-node simulation.
    const n = this.config.n;
    const ring = this.ring;
    const nodes: NodeId[] = [];
    const total = ring.tokens.length;
    if (total === 0) return nodes;
    const members = ring.nodes;
    let seen = this.walkSeen;
    if (seen.length < members.length) seen = this.walkSeen = new Uint8Array(members.length);
    const owners = ring.owners;
    const visited: number[] = [];
    let healthyBeyond = 0;
    let i = successorIndex(ring, lookupPosition(ring, keyPosition(key)));
    for (let steps = 0; steps < total && visited.length < members.length; steps++) {
      const owner = owners[i]!;
      i = i + 1 === total ? 0 : i + 1;
      if (seen[owner] !== 0) continue;
      seen[owner] = 1;
      visited.push(owner);
      const node = members[owner]!.id;
      nodes.push(node);
      if (nodes.length > n && (node === this.id || !this.suspicion.isSuspected(node)) && ++healthyBeyond >= n) break;
    }
    for (let v = 0; v < visited.length; v++) seen[visited[v]!] = 0;
    return nodes;
  }

  /**
   * The next request id. The wire carries it as a u32 and 0 means "no reply wanted" (read repair), so ids run
   * 1 … 2^32 − 1 and wrap: at 20 K requests a second that is days, and a request never lives that long.
   */
  /** Whether `from`'s forwarded write `requestId` already arrived (among the last ones); remembers it if not. */
  private seenCoordinate(from: NodeId, requestId: number): boolean {
    const id = `${from}/${requestId}`;
    if (this.coordinatesSeen.has(id)) return true;
    this.coordinatesSeen.add(id);
    // Oldest first (a Set keeps insertion order).
    if (this.coordinatesSeen.size > COORDINATES_REMEMBERED) this.coordinatesSeen.delete(this.coordinatesSeen.values().next().value!);
    return false;
  }

  private newRequestId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = id >= SMALL_ID_RANGE ? 1 : id + 1;
    return id;
  }

  private failLater(done: (result: WriteResult) => void, code: WriteResult['code'], error: string): void {
    this.env.clock.setTimer(0, () => done({ status: 'fail', context: new Uint8Array(0), acks: 0, error, code }));
  }

  /**
   * Starts a new incarnation: the epoch in `node-epoch` goes up by one (durably) and names this incarnation's
   * actor. The file also records the conflict mode the directory's versions were written in (`<epoch> <mode>`;
   * older files hold the epoch alone): a node restarted with the other mode would keep versions it can never
   * merge with its replicas' (found by a review: one write through a node briefly configured lww made every
   * later write of that key fail), so it refuses to start instead.
   */
  private bumpEpoch(done: (error: Error | null) => void): void {
    const disk = this.env.disk;
    let epoch = 0;
    if (disk.exists(EPOCH_FILE)) {
      const text = decoder.decode(disk.readAll(EPOCH_FILE)).trim();
      const match = /^(\d+)(?: (dvv|lww))?$/.exec(text);
      if (match === null) {
        // Read as epoch 0, a damaged file would also skip the conflict-mode check below (found by a review).
        const error = new Error(
          `node ${this.id}: its ${EPOCH_FILE} file is damaged (it reads ${JSON.stringify(text.slice(0, 40))}, expected '<epoch> <conflict mode>'); ` +
            `restore it from a backup, or remove it if you know the directory's conflict mode matches the config (the epoch only names this incarnation)`,
        );
        this.env.clock.setTimer(0, () => done(error));
        return;
      }
      epoch = Number(match[1]);
      const written = match[2];
      if (written !== undefined && written !== this.mode) {
        const name = (mode: string) => (mode === 'dvv' ? 'vclock' : mode);
        const error = new Error(
          `node ${this.id}: its data directory was written with conflict: ${name(written)}, but it is configured with conflict: ${name(this.mode)}; ` +
            `a node's conflict mode cannot change (its stored versions cannot be merged with the other kind): restore the setting, or start it on an empty data directory`,
        );
        this.env.clock.setTimer(0, () => done(error));
        return;
      }
    }
    epoch++;
    disk.create(EPOCH_TEMP);
    disk.append(EPOCH_TEMP, encoder.encode(`${epoch} ${this.mode}\n`));
    disk.sync(EPOCH_TEMP, (syncError) => {
      if (syncError) return done(syncError);
      disk.rename(EPOCH_TEMP, EPOCH_FILE);
      disk.syncDirectory((dirError) => {
        if (dirError) return done(dirError);
        this.epoch = epoch;
        this.actor = this.drawActor();
        done(null);
      });
    });
  }
}

/**
 * 48 random bits in base 36, the part of an actor that no local file can repeat. The epoch counter alone came
 * from `node-epoch`, so a node restarted on an empty data directory (a replaced disk) or on a restored backup
 * took an actor whose dots its replicas already held, and its next writes reused those dots: the replicas
 * dropped the earlier, acknowledged versions as already seen (found by a review: `first-k`, acknowledged, gone
 * after the restart and one more blind put). Fresh randomness per incarnation cannot be rolled back.
 */
function incarnationNonce(random: Random): string {
  return (random.int(2 ** 24) * 2 ** 24 + random.int(2 ** 24)).toString(36).padStart(10, '0');
}

interface StoredSet {
  set: SiblingSet;
  /** The stored encoding of `set`, a fresh copy only the loader holds; null when the key was absent. */
  bytes: Uint8Array | null;
}

/**
 * True when `a` and `b` hold the same clock (actors, counters, stamps) and the same versions (dots and
 * contents), so they encode to the same bytes. Cheap in the common cases: the merge keeps version objects, so
 * most versions compare by identity.
 */
/** A write another node forwarded here to coordinate (see CoordinateCancelMessage). */
interface ForwardedWrite {
  readonly from: NodeId;
  cancelled: boolean;
}

/** What is wrong with a client's causal context, for its error answer (a context of another key is not "malformed"). */
function contextProblem(error: unknown): string {
  return error instanceof ContextKeyMismatchError ? error.message : `malformed causal context: ${(error as Error).message}`;
}

function sameSet(a: SiblingSet, b: SiblingSet): boolean {
  if (a === b) return true;
  if (a.mode !== b.mode || a.clock.length !== b.clock.length || a.versions.length !== b.versions.length) return false;
  if (a.clock !== b.clock) {
    for (let i = 0; i < a.clock.length; i++) {
      const x = a.clock[i]!;
      const y = b.clock[i]!;
      if (x !== y && (x.actor !== y.actor || x.counter !== y.counter || x.micros !== y.micros)) return false;
    }
  }
  for (let i = 0; i < a.versions.length; i++) {
    const x = a.versions[i]!;
    const y = b.versions[i]!;
    if (x !== y && (x.dot.actor !== y.dot.actor || x.dot.counter !== y.dot.counter || !sameContent(x, y))) return false;
  }
  return true;
}

/** A hint record key's marker in hintsInFlight: FNV-1a folded to 30 bits (a small integer). */
const hintMarker = fnv1a30;

/** One char per byte (a Set key for a byte string: cheaper than hex, and just as injective). */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Hint records read per engine scan in a delivery round; for a probe of a suspected owner, a few. */
const HINT_SCAN_CHUNK = 128;
const PROBE_SCAN_CHUNK = 8;
const HINT_RANGE_END = prefixEnd(HINT_PREFIX)!;

/** The smallest key after `key` in byte order (`key` + 0x00). */
function keySuccessor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}

const EMPTY_KEY = new Uint8Array(0);

/** Records per cleanup chunk (see sweepLostArcs). */
const SWEEP_CHUNK = 256;

/** A lost-arc record offered to its owners by the cleanup: removed once `waiting` reaches 0 and nothing failed. */
interface SweepEntry {
  readonly key: Uint8Array;
  /** The stored bytes offered (removed only if they are still what is stored). */
  readonly sent: Uint8Array;
  waiting: number;
  failed: boolean;
}

/** Why a request fails when every member has left the ring (nothing owns any key). */
const EMPTY_RING = 'the ring has no members: every node has left, so no node owns any key';

/**
 * The longest TTL a write may carry: 50 years, in µs. A version's expiry is stored as µs since the epoch below
 * 2^52 (MAX_ABS_MICROS, the year 2112); 50 years keeps every TTL within that until 2062.
 */
export const MAX_TTL_MICROS = 50 * 365 * 24 * 3600 * 1_000_000;
/** cas's expected etag for "whatever the read finds" (deleteIf without a condition). Etags are never empty. */
const ANY_VERSION = '';
/** cas's expected etag for "any live value" (HTTP's `If-Match: *`). */
const ANY_LIVE_VERSION = '*';

/** An owner this node holds hints for: its range of the hint key space, and its offers awaiting an answer. */
interface HintOwner {
  readonly id: NodeId;
  /** 'h' | length | owner: every hint for this owner starts with it. */
  readonly prefix: Uint8Array;
  readonly end: Uint8Array;
  inFlight: number;
  /** While the owner is suspected: the record key of the hint last sent it as a probe (null: none yet). */
  probe: Uint8Array | null;
}

function hintOwner(id: NodeId): HintOwner {
  const prefix = hintKey(id, EMPTY_KEY);
  return { id, prefix, end: prefixEnd(prefix)!, inFlight: 0, probe: null };
}

/** What a coordinator whose storage failed answers (and a conditional write's router looks for, to try the next owner). */
const STORAGE_FAILED = 'cannot coordinate writes: its storage failed';

function isStorageFailure(error: string): boolean {
  return error.includes(STORAGE_FAILED);
}

