/**
 * Anti-entropy exchanges: the third repair horizon, after read repair (seconds, only keys someone reads) and
 * hinted handoff (minutes, only writes a stand-in took a hint for). Every `intervalMicros` (jittered) a node
 * picks the next peer replica of a shuffled round (see `peerOrder`) and the two compare Merkle trees over the arcs they both replicate, then
 * swap sibling sets only for the keys in leaves that differ. Whatever a replica missed — a write lost between
 * fsync and replication, hints switched off or expired — is found without anyone reading the key.
 *
 * ## Protocol (wire format and drawing in core/replication/messages.ts)
 *
 * 1. The initiator builds its tree over the shared arcs and sends the root's digest (AeDigests, level 0).
 * 2. The receiver of an AeDigests at level l builds its tree if it has none yet (the responder, on level 0),
 *    compares the digests it got, and answers with its own digests of the children of the nodes that differ
 *    (level l + 1). Both sides alternate down the tree; only differing subtrees are ever sent. No difference
 *    left: an empty AeDigests ends the exchange.
 * 3. Whichever side compares the leaves picks the differing leaves, up to the key and byte budgets, and sends
 *    its sibling sets for its keys in them (AeSets). The other side merges each one (storing only what changes
 *    its copy), then answers with the sets the first side lacks or holds older (AeSets, last), which that side
 *    merges in turn.
 *
 * Merging is the same `merge` as read repair and hinted handoff, through the node's replica-store path
 * (WAL + fsync): an exchange can only add causal information, never drop it, so it cannot lose an
 * acknowledged write or bring back a deleted key (a delete is a tombstone version, merged like any value).
 * An exchange cut short by a crash or a partition just leaves the rest for the next one.
 *
 * ## Bounded work
 * - one exchange started at a time per node, at most `maxResponders` answered at a time;
 * - at most `keyBudget` sibling sets per AeSets message, except for the first differing leaf, which always goes
 *   (whole, or as a cut run under the byte budget below — a run is bounded by bytes only), so a leaf fuller than
 *   the budget still makes progress; leaves left out are picked up by the next exchange;
 * - at most `setsBytes` of sibling sets per AeSets message (default 4 MiB, a quarter of real mode's 16 MiB
 *   frames), and always at least one set. Found by a review: counted in keys only, 256 sets of 100 KiB made a
 *   25 MiB message that the real transport dropped, every exchange timed out, and the next picked the same
 *   leaves — the replica was never repaired. An offer takes whole leaves while they fit; a first leaf that
 *   alone is over the budget is cut: the offer carries a run of its keys, in key order from a random one on
 *   (so differences past the first budget's worth are reached too), says so (`cut`), and the answer covers
 *   only keys inside that run. An answer stops at the budget; the rest waits for the next exchange;
 * - a session not finished within `sessionTimeoutMicros` is dropped.
 * Building a tree visits the replica's data records once (keys are stored in byte order, not ring order, so
 * there is no cheaper way to find one arc's keys) and fingerprints each key in the shared arcs — O(keys held)
 * per exchange, which is why the seeds run it weekly. The records are decoded in place (engine.visit) and a
 * tree keeps a key and a fingerprint per record; sibling sets are loaded only for keys sent. (Found by a
 * review: the tree was built from a scan that copied every key and value, on each side of every exchange.)
 * Trees kept up to date on every write would avoid the walk; that is not built.
 */
import type { Clock, NodeId, Random, TimerId } from '../env';
import type { AeDigestsMessage, AeSetsMessage } from '../replication/messages';
import { keyPosition, type Ring } from '../ring';
import { compareBytes, decodeOwnedSiblingSet, decodeSiblingSet, encodeSiblingSet, etag, merge, type SiblingSet } from '../versioning';
import {
  assertShape, childrenOf, DEFAULT_SHAPE, differingAt, digestsAt, keyDigest, leafCount, leafOf, levelSize, MerkleBuilder,
  type MerkleShape, type MerkleTree,
} from './merkle';
import { RangeSet, sharedRangesByPeer } from './shared-ranges';

export interface AntiEntropyCounters {
  /** Exchanges this node started. */
  antiEntropyExchanges: number;
  /** Keys summarised in the trees of exchanges this node started (compared by hash, not sent). */
  antiEntropyKeysCompared: number;
  /** Sibling sets this node sent in AeSets messages. */
  antiEntropyKeysSent: number;
  /** Keys whose local copy an anti-entropy merge changed. */
  antiEntropyKeysRepaired: number;
  malformedMessages: number;
}

/** What an exchange needs from its node. */
export interface AntiEntropyHost {
  readonly self: NodeId;
  readonly ring: Ring;
  readonly n: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly counters: AntiEntropyCounters;
  send(to: NodeId, message: AeDigestsMessage | AeSetsMessage): void;
  /**
   * Calls `visit` with every data record this replica holds, in key byte order: the user key and the stored
   * (encoded) sibling set, both views valid only during the call (engine.visit), never kept. May throw (a
   * corrupt block, a read fault).
   */
  records(visit: (key: Uint8Array, siblings: Uint8Array) => void): void;
  load(key: Uint8Array): SiblingSet;
  /**
   * Whether a record is past its purge time (every version dead, the tombstone grace over since the last died;
   * core/versioning purgeable): left out of the trees (see snapshot).
   */
  purgeable(set: SiblingSet): boolean;
  /** Merges `set` into the replica's copy durably (the node's replica-store path). */
  store(key: Uint8Array, set: SiblingSet): void;
  isSuspected(node: NodeId): boolean;
}

export interface AntiEntropyOptions {
  /** 0 = off. */
  intervalMicros: number;
  keyBudget?: number;
  /** Most bytes of sibling sets (keys included) one AeSets message carries; at least one set always goes. */
  setsBytes?: number;
  shape?: MerkleShape;
  sessionTimeoutMicros?: number;
  maxResponders?: number;
}

/** Default `setsBytes`: a quarter of real mode's 16 MiB frame limit (real/tcp-transport.ts). */
export const DEFAULT_SETS_BYTES = 4 * 1024 * 1024;

/** What one entry adds to an AeSets message beside its key and set bytes: their two varint lengths. */
const ENTRY_OVERHEAD = 10;

type SetEntry = { key: Uint8Array; siblings: Uint8Array };

interface Snapshot {
  tree: MerkleTree;
  /** Keys per leaf at build time, with their version fingerprints. */
  leafKeys: Map<number, { key: Uint8Array; version: string }[]>;
}

interface Session extends Snapshot {
  id: number;
  peer: NodeId;
  initiator: boolean;
  ranges: RangeSet;
  timer: TimerId;
}

export class AntiEntropy {
  private readonly keyBudget: number;
  private readonly setsBytes: number;
  private readonly shape: MerkleShape;
  private readonly sessionTimeoutMicros: number;
  private readonly maxResponders: number;
  private readonly sessions = new Map<string, Session>();
  private peers: Map<NodeId, RangeSet> | undefined;
  /** Peers in a random order (drawn once from env.random), visited round-robin from `cursor`. */
  private order: NodeId[] | undefined;
  private cursor = 0;
  private outgoing: Session | undefined;
  private responders = 0;
  private nextId = 1;
  private timer: TimerId | undefined;
  private stopped = false;

  constructor(private readonly host: AntiEntropyHost, private readonly options: AntiEntropyOptions) {
    this.keyBudget = options.keyBudget ?? 256;
    this.setsBytes = options.setsBytes ?? DEFAULT_SETS_BYTES;
    this.shape = options.shape ?? DEFAULT_SHAPE;
    assertShape(this.shape);
    this.sessionTimeoutMicros = options.sessionTimeoutMicros ?? 2_000_000;
    this.maxResponders = options.maxResponders ?? 4;
  }

  /** Starts the periodic exchanges (nothing at all — no timer, no random draw — when the interval is 0). */
  start(): void {
    if (this.options.intervalMicros > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.host.clock.cancelTimer(this.timer);
    for (const session of this.sessions.values()) this.host.clock.cancelTimer(session.timer);
    this.sessions.clear();
  }

  /**
   * Starts one exchange now with the next healthy peer in this node's shuffled round; false if one is already
   * running or no peer is eligible.
   */
  runOnce(): boolean {
    if (this.stopped || this.outgoing !== undefined) return false;
    const order = this.peerOrder();
    let peer: NodeId | undefined;
    for (let tried = 0; tried < order.length && peer === undefined; tried++) {
      const candidate = order[this.cursor]!;
      this.cursor = (this.cursor + 1) % order.length;
      if (!this.host.isSuspected(candidate)) peer = candidate;
    }
    if (peer === undefined) return false;
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    const session = this.open(peer, id, true, this.shape);
    this.outgoing = session;
    this.host.counters.antiEntropyExchanges++;
    this.host.counters.antiEntropyKeysCompared += session.tree.keys;
    this.host.send(peer, this.digests(session, 0, [0]));
    return true;
  }

  /**
   * The ring changed (a node joined or left): shared arcs and the peer round are recomputed on next use.
   * Sessions in flight finish against the arcs they started with; merging is harmless either way.
   */
  ringChanged(): void {
    this.peers = undefined;
    this.order = undefined;
    this.cursor = 0;
  }

  /** True while an exchange this node started is in progress. */
  get busy(): boolean {
    return this.outgoing !== undefined;
  }

  receive(from: NodeId, message: AeDigestsMessage | AeSetsMessage): void {
    if (this.stopped) return;
    if (message.type === 'ae-digests') this.onDigests(from, message);
    else this.onSets(from, message);
  }

  // -------------------------------------------------------------------------------------------- scheduling

  private schedule(): void {
    const interval = this.options.intervalMicros;
    const jitter = this.host.random.int(Math.max(1, Math.floor(interval / 4)));
    this.timer = this.host.clock.setTimer(interval + jitter, () => {
      if (this.stopped) return;
      this.runOnce();
      this.schedule();
    });
  }

  /** Peers and the arcs shared with each: computed on first use, again after ringChanged(). */
  private peerRanges(): Map<NodeId, RangeSet> {
    if (this.peers === undefined) {
      this.peers = new Map();
      for (const [peer, arcs] of sharedRangesByPeer(this.host.ring, this.host.self, this.host.n)) this.peers.set(peer, new RangeSet(arcs));
    }
    return this.peers;
  }

  /**
   * Random picks would leave some pair unchecked for long (coupon collector: about P·ln P picks to see all P
   * peers); a shuffled round visits each peer once every P exchanges, so from each side every shared arc is
   * compared at least once per P intervals — set the interval to (repair horizon) / P. P is 4 in a 5-node
   * cluster and runs into the hundreds with 500 nodes × 256 vnodes.
   */
  private peerOrder(): NodeId[] {
    if (this.order === undefined) {
      const order = [...this.peerRanges().keys()];
      for (let i = order.length - 1; i > 0; i--) {
        const j = this.host.random.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      this.order = order;
    }
    return this.order;
  }

  // -------------------------------------------------------------------------------------------- sessions

  private open(peer: NodeId, id: number, initiator: boolean, shape: MerkleShape): Session {
    const ranges = this.peerRanges().get(peer)!;
    const key = sessionKey(initiator ? this.host.self : peer, id);
    const previous = this.sessions.get(key);
    if (previous !== undefined) this.close(previous);
    const timer = this.host.clock.setTimer(this.sessionTimeoutMicros, () => this.close(session));
    const session: Session = { id, peer, initiator, ranges, timer, ...this.snapshot(ranges, shape) };
    this.sessions.set(key, session);
    if (!initiator) this.responders++;
    return session;
  }

  private close(session: Session): void {
    const key = sessionKey(session.initiator ? this.host.self : session.peer, session.id);
    if (this.sessions.get(key) !== session) return;
    this.sessions.delete(key);
    this.host.clock.cancelTimer(session.timer);
    if (session.initiator) this.outgoing = undefined;
    else this.responders--;
  }

  private find(from: NodeId, message: { requestId: number; fromInitiator: boolean }): Session | undefined {
    // A message from the initiator belongs to the exchange `from` started; otherwise to one this node started.
    const session = this.sessions.get(sessionKey(message.fromInitiator ? from : this.host.self, message.requestId));
    return session !== undefined && session.peer === from ? session : undefined;
  }

  /** This replica's tree over `ranges`: one pass over its data records, in place (see Bounded work). */
  private snapshot(ranges: RangeSet, shape: MerkleShape): Snapshot {
    const builder = new MerkleBuilder(shape);
    const leafKeys = new Map<number, { key: Uint8Array; version: string }[]>();
    const visit = (view: Uint8Array, siblings: Uint8Array): void => {
      const position = keyPosition(view);
      if (!ranges.contains(position)) return;
      let version: string;
      try {
        // Decoded without a copy: the set's values are views of the engine's bytes, fingerprinted and dropped.
        const set = decodeOwnedSiblingSet(siblings);
        // A dead record past its purge time is left out: one replica may keep it longer than another (one that
        // got the delete late keeps it a grace from arrival), and compared, it differed from the replicas that
        // had purged it on every exchange — sent, stored for a microsecond, sent again — while the real
        // differences waited behind it (found by a review: 23 acknowledged writes stayed missing for 25 min).
        // It still supersedes, on this replica, an old value a peer offers for the key.
        if (this.host.purgeable(set)) return;
        version = etag(set);
      } catch {
        return; // an undecodable record: the peer's copy, if any, will be offered and merged over it
      }
      const key = view.slice();
      builder.add(position, keyDigest(key, version));
      const leaf = leafOf(shape, position);
      let keys = leafKeys.get(leaf);
      if (keys === undefined) leafKeys.set(leaf, (keys = []));
      keys.push({ key, version });
    };
    try {
      this.host.records(visit);
    } catch {
      // A corrupt block or a read fault: this round's tree is empty, so the peer offers its keys and merging them is harmless.
      return { tree: new MerkleBuilder(shape).finish(), leafKeys: new Map() };
    }
    return { tree: builder.finish(), leafKeys };
  }

  // -------------------------------------------------------------------------------------------- messages

  private digests(session: Session, level: number, indices: number[]): AeDigestsMessage {
    const { fanoutBits, depth } = session.tree.shape;
    return { type: 'ae-digests', requestId: session.id, fromInitiator: session.initiator, fanoutBits, depth, level, indices, digests: digestsAt(session.tree, level, indices) };
  }

  private onDigests(from: NodeId, message: AeDigestsMessage): void {
    let session = this.find(from, message);
    if (session === undefined) {
      if (!message.fromInitiator || message.level !== 0 || this.responders >= this.maxResponders) return;
      if (!this.peerRanges().has(from)) return; // we replicate nothing together
      const shape = { fanoutBits: message.fanoutBits, depth: message.depth };
      try {
        assertShape(shape);
      } catch {
        this.host.counters.malformedMessages++;
        return;
      }
      session = this.open(from, message.requestId, false, shape);
    }
    if (message.indices.length === 0) {
      this.close(session); // the peer found nothing more that differs
      return;
    }
    const { depth } = session.tree.shape;
    const size = message.level <= depth ? levelSize(session.tree.shape, message.level) : 0;
    if (message.fanoutBits !== session.tree.shape.fanoutBits || message.depth !== depth || size === 0 || message.indices.some((j) => !(j < size))) {
      this.host.counters.malformedMessages++;
      this.close(session);
      return;
    }
    const differing = differingAt(session.tree, message.level, message.indices, message.digests);
    if (differing.length === 0) {
      this.host.send(from, { ...this.digests(session, message.level, []), level: Math.min(message.level + 1, depth) });
      this.close(session);
      return;
    }
    if (message.level < depth) {
      this.host.send(from, this.digests(session, message.level + 1, differing.flatMap((j) => childrenOf(session.tree.shape, j))));
      return;
    }
    // Leaf level: offer this side's keys in the differing leaves, as many leaves as the budgets allow — from a
    // random one on, so that leaves which keep differing (a write in flight, a record that cannot merge) cannot
    // hold the budget against the others exchange after exchange.
    const leaves: number[] = [];
    let entries: SetEntry[] = [];
    let keys = 0;
    let bytes = 0;
    let cut = false;
    const first = this.host.random.int(differing.length);
    for (let i = 0; i < differing.length; i++) {
      const leaf = differing[(first + i) % differing.length]!;
      const held = session.leafKeys.get(leaf) ?? [];
      if (leaves.length > 0 && (keys + held.length > this.keyBudget || leaves.length >= this.keyBudget)) break;
      const sets: SetEntry[] = [];
      let leafBytes = 0;
      for (const { key } of held) {
        if (bytes + leafBytes > this.setsBytes) break;
        const entry = this.entryFor(key);
        if (entry === null) continue;
        sets.push(entry);
        leafBytes += entrySize(entry);
      }
      if (bytes + leafBytes > this.setsBytes) {
        if (leaves.length > 0) break; // whole leaves only: this one waits for the next exchange
        if (held.length > 1) {
          entries = this.run(held, sets);
          cut = true;
          leaves.push(leaf);
          break;
        }
      }
      leaves.push(leaf);
      entries.push(...sets);
      keys += held.length;
      bytes += leafBytes;
    }
    // Counted as it goes out: within the budgets, the message fits a frame (keysSent once counted sets in
    // messages the transport then dropped).
    this.host.counters.antiEntropyKeysSent += entries.length;
    this.host.send(from, { type: 'ae-sets', requestId: session.id, fromInitiator: session.initiator, last: false, ...(cut ? { cut: true as const } : {}), leaves, entries });
  }

  /**
   * The replica's set for `key`, or null when it cannot be read (a read fault, a corrupt block): the key is left
   * out of this exchange, as a replica read leaves it unanswered. Found by a scenario fuzzer: thrown, it ended a
   * simulated run, and in real mode it left the exchange hanging until its timeout.
   */
  private loadOrSkip(key: Uint8Array): SiblingSet | null {
    try {
      return this.host.load(key);
    } catch {
      return null;
    }
  }

  /** `key` and its encoded set, ready to send, or null when the set cannot be read (loadOrSkip). */
  private entryFor(key: Uint8Array): SetEntry | null {
    const set = this.loadOrSkip(key);
    return set === null ? null : { key, siblings: encodeSiblingSet(set) };
  }

  /**
   * A first leaf alone over the byte budget: a run of its keys in key order, from a random one on (wrapping
   * past the last to the first), while the budget lasts and at least one. Always from the first key, an offer
   * whose first budget's worth agreed with the peer would have reached nothing past it, exchange after exchange.
   * `loaded` are sets already encoded for some of these keys.
   */
  private run(held: readonly { key: Uint8Array }[], loaded: readonly SetEntry[]): SetEntry[] {
    const cache = new Map<Uint8Array, SetEntry>(loaded.map((entry) => [entry.key, entry]));
    const sorted = held.map(({ key }) => key).sort(compareBytes);
    const start = this.host.random.int(sorted.length);
    const out: SetEntry[] = [];
    let bytes = 0;
    for (let j = 0; j < sorted.length; j++) {
      const key = sorted[(start + j) % sorted.length]!;
      const entry = cache.get(key) ?? this.entryFor(key);
      if (entry === null) continue;
      if (out.length > 0 && bytes + entrySize(entry) > this.setsBytes) break;
      out.push(entry);
      bytes += entrySize(entry);
    }
    return out;
  }

  private onSets(from: NodeId, message: AeSetsMessage): void {
    const session = this.find(from, message);
    if (session === undefined) return;
    const shape = session.tree.shape;
    const leaves = new Set(message.leaves.filter((leaf) => leaf < leafCount(shape)));
    // A cut offer covers, in its last leaf, only the run of keys from that leaf's first entry to its last.
    const cutLeaf = message.cut === true && !message.last ? message.leaves[message.leaves.length - 1] : undefined;
    let runFirst: Uint8Array | undefined;
    let runLast: Uint8Array | undefined;
    // Merge what the peer sent; remember, per key, whether the peer's copy already equals the merged one.
    const offered = new Map<string, { key: Uint8Array; merged: SiblingSet; peerUpToDate: boolean }>();
    for (const entry of message.entries) {
      const position = keyPosition(entry.key);
      if (!session.ranges.contains(position) || !leaves.has(leafOf(shape, position))) {
        this.host.counters.malformedMessages++; // not a key this exchange covers: never store strays
        continue;
      }
      if (leafOf(shape, position) === cutLeaf) {
        runFirst ??= entry.key;
        runLast = entry.key;
      }
      let incoming: SiblingSet;
      let local: SiblingSet;
      let merged: SiblingSet;
      try {
        incoming = decodeSiblingSet(entry.siblings);
        local = this.host.load(entry.key);
        merged = merge(local, incoming);
      } catch {
        this.host.counters.malformedMessages++;
        continue;
      }
      const mergedTag = etag(merged);
      if (mergedTag !== etag(local)) {
        this.host.counters.antiEntropyKeysRepaired++;
        this.host.store(entry.key, incoming);
      }
      offered.set(hex(entry.key), { key: entry.key, merged, peerUpToDate: mergedTag === etag(incoming) });
    }
    if (!message.last) {
      // Answer with what the peer lacks: merged copies it is behind on, and keys it did not offer at all — up to
      // the budgets (at least one set); the rest waits for the next exchange.
      const entries: SetEntry[] = [];
      let bytes = 0;
      const add = (key: Uint8Array, set: SiblingSet): boolean => {
        if (entries.length >= this.keyBudget) return false;
        const entry = { key, siblings: encodeSiblingSet(set) };
        if (entries.length > 0 && bytes + entrySize(entry) > this.setsBytes) return false;
        entries.push(entry);
        bytes += entrySize(entry);
        return true;
      };
      let room = true;
      for (const { key, merged, peerUpToDate } of offered.values()) {
        if (!peerUpToDate && !(room = add(key, merged))) break;
      }
      for (const leaf of room ? leaves : []) {
        for (const { key } of session.leafKeys.get(leaf) ?? []) {
          if (offered.has(hex(key))) continue;
          // Outside a cut offer's run: the peer may well hold it, it just did not get that far.
          if (leaf === cutLeaf && !inRun(key, runFirst, runLast)) continue;
          const set = this.loadOrSkip(key);
          if (set !== null && !(room = add(key, set))) break;
        }
        if (!room) break;
      }
      this.host.counters.antiEntropyKeysSent += entries.length;
      this.host.send(from, { type: 'ae-sets', requestId: session.id, fromInitiator: session.initiator, last: true, leaves: [...leaves], entries });
    }
    this.close(session);
  }
}

function entrySize(entry: SetEntry): number {
  return entry.key.length + entry.siblings.length + ENTRY_OVERHEAD;
}

/** Whether `key` lies in the run of keys from `first` to `last` in byte order, wrapping past the greatest to the least. */
function inRun(key: Uint8Array, first: Uint8Array | undefined, last: Uint8Array | undefined): boolean {
  if (first === undefined || last === undefined) return false;
  const afterFirst = compareBytes(first, key) <= 0;
  const beforeLast = compareBytes(key, last) <= 0;
  return compareBytes(first, last) <= 0 ? afterFirst && beforeLast : afterFirst || beforeLast;
}

function sessionKey(initiator: NodeId, id: number): string {
  return `${initiator}/${id}`;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}
