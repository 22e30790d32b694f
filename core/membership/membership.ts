import type { Clock, NodeId, Random, TimerId } from '../env';
import type { Message, RangeAckMessage, RangeBatchMessage, RangePullMessage, RingGossipMessage } from '../replication/messages';
import { buildRing, movedRanges, preferenceList, type Member, type PartitionStrategy, type Ring, type RingRange } from '../ring';
import { RangeTransfer, type StreamPlan } from './range-transfer';
import { RingGossip } from './ring-gossip';
import {
  applyRecords, changingMembers, fingerprint, initialState, inTransition, orderSubsets, placementAfter, placementMembers, placementRing, recordOf, withStatus,
  type MemberRecord, type MemberStatus, type RingState,
} from './ring-state';

/**
 * Dynamic membership for one node: ring-state gossip, and the join and leave procedures that move data.
 *
 * ## Join (at the newcomer J)
 * 1. J records itself `joining` and pushes that to its seed; gossip spreads it. J is in the *target* ring,
 *    not the *placement* ring: reads and writes do not go to it yet.
 * 2. After `settle` (a few gossip rounds, so coordinators have heard of J), J computes
 *    movedRanges(placement, target) and, for every arc it gains, pulls the keys from *every* old replica of
 *    that arc (range-transfer.ts; stores merge): a version only one replica holds — a write at W < N during a
 *    partition, with hints off — must not be left on a replica the arc is about to drop. Meanwhile
 *    coordinators that know J is joining also send each write of those arcs to J (see "Writes during a change").
 *    With other changes in flight, "target" is every ring J may turn active in (see "Several changes in
 *    flight").
 * 3. When every pull stream has reached its end, J records itself `active`: its own placement ring now
 *    includes it, and every other node switches as gossip reaches it.
 * 4. Catch-up: `settle` later, when coordinators have switched, J pulls again, planned against the ring as it
 *    is then as well as the one step 2 used (`catchUpStreams`). Writes the old owners acknowledged after
 *    the first pass scanned their key reached J only by a fire-and-forget copy; if that copy was lost, this pass
 *    brings the write — and arcs another change moved meanwhile (J had not heard of it) come along too. If the
 *    ring changes again during the pass, it runs again (up to 3 passes).
 *
 * ## Leave (at the leaver L)
 * 1. L records itself `leaving`; it stays in the placement ring (it still holds its ranges).
 * 2. After `settle`, L pushes its copy of every arc it replicates to the arc's new replica(s) in the target
 *    ring — in every ring it may leave from, with other changes in flight — batch by acknowledged batch.
 * 3. When every push is acknowledged, L records itself `left`: it drops out of every ring as gossip spreads.
 * 4. Catch-up: `settle` later, L pushes again to the replicas of the ring as it is then (`catchUpStreams`),
 *    for the writes it acknowledged after the first pass and for arcs another change moved meanwhile (as in a
 *    join's step 4). L must keep running until its last change shows `caughtUpAtMicros`.
 *
 * ## Writes during a change — the rule
 * Preference lists always come from the placement ring (reads and the W acknowledgements too). While the
 * ring is in transition, a coordinator also sends each write, fire-and-forget, to the key's *pending owners*
 * — nodes in the key's target preference list that are not in its placement list. So a write that lands
 * after the transfer scanned its key still reaches the new owner. Old owners keep their copies through the
 * change and its catch-up passes, then remove them once the ring has been still for a while (the node's
 * lost-arc cleanup, core/node.ts scheduleLostArcSweep): kept for good, they went stale, and a later change
 * that handed the arcs back after the tombstone grace brought deleted data back.
 *
 * ## Several changes in flight
 * The placement ring moves one change at a time — a joiner's `active`, a leaver's `left` — in an order no node
 * knows in advance. So a change's copy covers every ring it may complete in, not only the target ring (where
 * every change has completed): for each set of the *other* changes in flight that may have completed first
 * (`orderSubsets`, `placementAfter`),
 * - a joiner J pulls every arc it gains in that ring plus J, from the arc's replicas in the placement ring
 *   now (they hold the arc's writes now; the owners of the intermediate ring may not have them yet);
 * - a leaver L pushes every arc it replicates in that ring to the replicas the arc gains when L drops out;
 * - a coordinator sends each write to the key's owners in every such ring (`pendingOwners`);
 * - a catch-up pass pulls from (or pushes to) the owners of every ring the placement may have passed through
 *   since the first pass was planned (each set of the changes completed since, undone).
 * With one change in flight, all of this is the target ring alone, as before. Found by a review (N = 1): two
 * joins 300 ms apart — the first joiner planned against the target ring, which gave the second joiner arcs
 * the first took on its own ring, turned active first and served those arcs empty, and the second joiner then
 * pulled them from the first: writes left on their old owner only, lost for good once it left; and a leave
 * with a join in flight, which pushed only to the joiner (the target ring's owner), so once the leaver had left
 * the interim owner served its arcs empty until the catch-up pass.
 *
 * Ring state is durable: the host persists every state it changes to (`persist`) and a restarted node starts
 * from what it persisted, not from the static member list — which would have it coordinate with a ring from
 * before the changes it had already seen (found by a protocol review: N = 1 writes acknowledged by a restarted
 * node on its old arcs were lost).
 *
 * Known gaps: a replica of the moved arcs that is down, or whose storage has failed (it stores nothing until a
 * restart), holds the join (or the catch-up) until it answers. A second change by this node cancels the first
 * one's unfinished catch-up. A change's first pass covers the changes in flight when it is planned, not those
 * announced after (each of those covers the pair in its own plan — but a later leaver pushes only what it
 * holds when it scans, so an arc an earlier leaver had not handed it yet reaches its final owner by the catch-up
 * pass); past MAX_ORDERED_CHANGES (ring-state.ts) changes in flight at once, only some orders are covered. A coordinator that has not heard of a change within
 * `settle` sends only to the old owners, and a write it acknowledges after the catch-up pass is left behind
 * (found, before the catch-up pass and the every-replica pull, by the same review: one lost message at
 * N = W = 1 lost the write).
 */
export interface MembershipHost {
  readonly self: NodeId;
  readonly clock: Clock;
  readonly random: Random;
  readonly n: number;
  readonly strategy: PartitionStrategy | undefined;
  send(to: NodeId, message: Message): void;
  scanAfter(after: Uint8Array, limit: number): { key: Uint8Array; siblings: Uint8Array }[];
  store(key: Uint8Array, siblings: Uint8Array, done: (error: Error | null) => void): void;
  /** The placement ring changed (after a join or leave completed somewhere). */
  ringChanged(ring: Ring): void;
  /** Keep `records` durably; a restart passes them back as `restored`. Errors are the host's to report. */
  persist(records: readonly MemberRecord[]): void;
  /** Keep (or with null, clear) the catch-up pass owed; `done` once durable. A restart passes it back. */
  persistCatchUp(plan: CatchUpPlan | null, done: () => void): void;
}

/** A catch-up pass owed (step 4): a join's pull or a leave's push, planned when it runs. */
export interface CatchUpPlan {
  direction: 'pull' | 'push';
}

/** Catch-up passes in a row while the ring keeps changing under them. */
const MAX_CATCH_UP_ROUNDS = 3;

export interface MembershipOptions {
  /** Ring gossip round (µs); 0 = off: no timer, no random draw, the ring never changes. */
  gossipIntervalMicros: number;
  /** Wait between announcing a join/leave and moving data, so coordinators learn of it first. */
  settleMicros: number;
  batch: number;
  scanLimit: number;
  retryMicros: number;
  /** Broken on purpose (tests only): switch the ring without copying any data. */
  skipTransfer?: boolean;
}

/** One join or leave this node carried out, for figures. */
export interface MembershipChange {
  kind: 'join' | 'leave';
  node: NodeId;
  announcedAtMicros: number;
  transferStartedAtMicros: number;
  finishedAtMicros: number | null;
  /** Sibling sets received (join) or sent (leave), catch-up pass included. */
  keys: number;
  streams: number;
  /** When the catch-up pass (step 4) finished; null until then. */
  caughtUpAtMicros: number | null;
  /** A catch-up pass this incarnation resumed after a restart (the change itself was an earlier one's). */
  resumed?: boolean;
  /** A join or leave this incarnation resumed after a restart before its transfer finished (announced by an earlier one). */
  resumedTransfer?: boolean;
}

export class Membership {
  readonly gossip: RingGossip;
  readonly transfer: RangeTransfer;
  readonly changes: MembershipChange[] = [];
  private placement: Ring;
  private placementKey: string;
  /** The rings the placement may become while the changes in flight complete (`pendingOwners`), per state. */
  private pendingRings: Ring[] | undefined;
  /** The state `inTransitionCached` was computed for: states are immutable, so identity says "unchanged". */
  private transitionOf: RingState | undefined;
  private inTransitionCached = false;
  private task: { kind: 'join' | 'leave'; timer: TimerId | undefined; cancel: (() => void) | undefined } | undefined;
  /** The catch-up pass after a change (step 4): its timer, then its job. */
  private catchUp: { timer: TimerId | undefined; cancel: (() => void) | undefined } | undefined;
  private stopped = false;

  /** A catch-up owed from before a restart, run once start() is called. */
  private readonly restoredCatchUp: CatchUpPlan | undefined;

  /** `restored`: the records this node persisted before a restart (they merge over the static list). */
  constructor(private readonly host: MembershipHost, members: readonly Member[], ring: Ring, private readonly options: MembershipOptions, restored: readonly MemberRecord[] = [], restoredCatchUp?: CatchUpPlan) {
    this.restoredCatchUp = restoredCatchUp;
    // Every node of a cluster starts from the same member list: build its (immutable) state and key once.
    let initial = initialStates.get(members);
    if (initial === undefined) {
      const start = initialState(members);
      initial = { state: start, key: placementKeyOf(start) };
      initialStates.set(members, initial);
    }
    let state = initial.state;
    this.placement = ring;
    this.placementKey = initial.key;
    if (restored.length > 0) {
      state = applyRecords(state, restored).state;
      const key = placementKeyOf(state);
      if (key !== this.placementKey) {
        this.placementKey = key;
        this.placement = placementRing(state, host.strategy);
      }
    }
    this.gossip = new RingGossip(
      {
        self: host.self, clock: host.clock, random: host.random, send: (to, message) => host.send(to, message),
        changed: (next) => {
          host.persist(next.records);
          this.changed(next);
        },
      },
      state,
      options.gossipIntervalMicros,
    );
    this.transfer = new RangeTransfer(
      { self: host.self, clock: host.clock, send: (to, message) => host.send(to, message), scanAfter: host.scanAfter, store: host.store },
      { batch: options.batch, scanLimit: options.scanLimit, retryMicros: options.retryMicros },
    );
  }

  start(): void {
    this.gossip.start();
    // Restarted mid-change from persisted state: nothing new will arrive to say so, so resume now.
    const before = this.changes.length;
    this.resumeOwnChange();
    if (this.changes.length > before) this.changes.at(-1)!.resumedTransfer = true;
    const owed = this.restoredCatchUp;
    if (owed !== undefined && this.task === undefined) {
      const now = this.host.clock.nowMicros();
      const kind = owed.direction === 'pull' ? 'join' : 'leave';
      const change = this.recordChange(kind);
      Object.assign(change, { transferStartedAtMicros: now, finishedAtMicros: now, resumed: true });
      this.scheduleCatchUp(owed, change, this.moved(owed.direction), undefined);
    }
  }

  stop(): void {
    this.stopped = true;
    this.gossip.stop();
    this.transfer.stop();
    if (this.task?.timer !== undefined) this.host.clock.cancelTimer(this.task.timer);
    this.task?.cancel?.();
    if (this.catchUp?.timer !== undefined) this.host.clock.cancelTimer(this.catchUp.timer);
    this.catchUp?.cancel?.();
  }

  /** The ring every read and write uses now. */
  get ring(): Ring {
    return this.placement;
  }

  get state(): RingState {
    return this.gossip.state;
  }

  /** This node's own status, or undefined when it is not (yet) a member. */
  get status(): MemberStatus | undefined {
    return recordOf(this.state, this.host.self)?.status;
  }

  /**
   * Nodes that may replicate `key` as the transfers in flight finish but do not now (empty when stable): its
   * owners in the target ring and, with several changes in flight, in every ring on the way there (a write
   * that lands after a change's copy scanned its key reaches the next owner only this way; found by a review:
   * with a leave and a join in flight, writes sent only to the joiner were missing at the interim owner).
   */
  pendingOwners(key: Uint8Array, owners: readonly NodeId[]): NodeId[] {
    // Asked for every write; scanning 500 member records each time was ~1 % of a 500-node simulation.
    const state = this.state;
    if (state !== this.transitionOf) {
      this.transitionOf = state;
      this.inTransitionCached = inTransition(state);
    }
    if (!this.inTransitionCached) return [];
    // Every set of changes that may complete first, but none (the placement itself); the target ring first.
    this.pendingRings ??= orderSubsets(changingMembers(state))
      .filter((done) => done.length > 0)
      .reverse()
      .map((done) => this.ringOf(placementAfter(state, new Set(done))));
    const out: NodeId[] = [];
    for (const ring of this.pendingRings) {
      for (const node of preferenceList(ring, key, this.host.n)) if (!owners.includes(node) && !out.includes(node)) out.push(node);
    }
    return out;
  }

  /** Joins the cluster through `seed` (any member). Throws if gossip is off or this node already is a member. */
  join(seed: NodeId, weight = 1): void {
    if (!this.gossip.enabled) throw new Error('join needs ring gossip (set ringGossipIntervalMicros)');
    const status = this.status;
    if (status !== undefined && status !== 'joining') throw new Error(`node ${this.host.self} is already ${status}`);
    this.recordChange('join');
    this.gossip.update(withStatus(this.state, this.host.self, 'joining', weight), seed);
  }

  /** Hands this node's ranges to their new owners, then leaves the ring. Throws unless it is active. */
  leave(): void {
    if (!this.gossip.enabled) throw new Error('leave needs ring gossip (set ringGossipIntervalMicros)');
    if (this.status !== 'active') throw new Error(`node ${this.host.self} cannot leave: it is ${this.status ?? 'not a member'}`);
    this.recordChange('leave');
    this.gossip.update(withStatus(this.state, this.host.self, 'leaving'));
  }

  receive(from: NodeId, message: RingGossipMessage | RangePullMessage | RangeBatchMessage | RangeAckMessage): void {
    if (this.stopped) return;
    if (message.type === 'ring-gossip') this.gossip.receive(from, message);
    else this.transfer.receive(from, message);
  }

  // ---------------------------------------------------------------------------------------------- internals

  private changed(state: RingState): void {
    this.pendingRings = undefined;
    const key = placementKeyOf(state);
    if (key !== this.placementKey) {
      this.placementKey = key;
      this.placement = placementRing(state, this.host.strategy);
      this.host.ringChanged(this.placement);
    }
    this.resumeOwnChange();
  }

  /**
   * Our own record says a change is under way but nothing is running it (we just joined or left, or we
   * restarted mid-change): start (or resume) the procedure after the settle delay.
   */
  private resumeOwnChange(): void {
    const status = this.status;
    if ((status === 'joining' || status === 'leaving') && this.task === undefined && !this.stopped) {
      const kind = status === 'joining' ? 'join' : 'leave';
      if (this.changes.at(-1)?.kind !== kind || this.changes.at(-1)?.finishedAtMicros !== null) {
        this.recordChange(kind);
      }
      const task: NonNullable<Membership['task']> = { kind, timer: undefined, cancel: undefined };
      this.task = task;
      task.timer = this.host.clock.setTimer(this.options.settleMicros, () => {
        task.timer = undefined;
        if (kind === 'join') this.runJoin(task);
        else this.runLeave(task);
      });
    }
  }

  /**
   * Step 2 of a join: every arc this node gains in any ring it may turn active in — the placement plus it, and
   * with other changes in flight, that ring after any of them completed first (see "Several changes in
   * flight"; planning against the target ring alone lost writes, found by a review) — pulled from the arc's
   * replicas in the placement ring now, which hold its writes now.
   */
  private runJoin(task: NonNullable<Membership['task']>): void {
    const self = this.host.self;
    const others = changingMembers(this.state).filter((id) => id !== self);
    const bySource = new Map<NodeId, RingRange[]>();
    for (const done of orderSubsets(others)) {
      const ring = this.ringOf(placementAfter(this.state, new Set([...done, self])));
      for (const move of movedRanges(this.placement, ring, this.host.n)) {
        if (!move.gained.includes(self)) continue;
        // From every old replica (none: an empty cluster, nothing to copy).
        for (const source of move.from) if (source !== self) addRange(bySource, source, move.range);
      }
    }
    const plans: StreamPlan[] = [...bySource].map(([peer, ranges]) => ({ peer, ranges }));
    this.runTransfer(task, 'pull', plans, 'active');
  }

  /**
   * Step 2 of a leave: for every ring this node may leave from — the placement, and with other changes in
   * flight, the placement after any of them completed first — each arc it replicates there goes to the
   * replicas the arc gains when it drops out. Pushing to the target ring's replicas alone skipped the interim
   * owner a joiner still joining leaves in place (found by a review: acknowledged writes read as absent at
   * N = 1 between this node's `left` and its catch-up pass).
   */
  private runLeave(task: NonNullable<Membership['task']>): void {
    const self = this.host.self;
    const others = changingMembers(this.state).filter((id) => id !== self);
    const byOwner = new Map<NodeId, RingRange[]>();
    for (const done of orderSubsets(others)) {
      const before = this.ringOf(placementAfter(this.state, new Set(done)));
      const after = this.ringOf(placementAfter(this.state, new Set([...done, self])));
      for (const move of movedRanges(before, after, this.host.n)) {
        if (!move.from.includes(self)) continue;
        for (const owner of move.gained) if (owner !== self) addRange(byOwner, owner, move.range);
      }
    }
    const plans: StreamPlan[] = [...byOwner].map(([peer, ranges]) => ({ peer, ranges }));
    this.runTransfer(task, 'push', plans, 'left');
  }

  /** The ring of `members` (the placement ring itself when they are its members). */
  private ringOf(members: readonly Member[]): Ring {
    const key = membersKey(members);
    return key === this.placementKey ? this.placement : buildRing(members, this.host.strategy);
  }

  private runTransfer(task: NonNullable<Membership['task']>, direction: 'pull' | 'push', plans: StreamPlan[], then: MemberStatus): void {
    const change = this.changes.at(-1)!;
    change.transferStartedAtMicros = this.host.clock.nowMicros();
    change.streams = plans.length;
    const run = this.options.skipTransfer === true ? [] : plans;
    const before = this.moved(direction);
    const planMembers = placementMembers(this.state);
    const finished = () => {
      if (this.stopped || this.task !== task) return;
      change.keys = this.moved(direction) - before;
      // The catch-up is owed from the moment the ring switches: kept durably first, so a restart in between
      // still runs it (found by a review: a joiner restarted before its catch-up never ran it, and N = 1 writes
      // whose pending-owner copies were lost were lost for good).
      this.host.persistCatchUp({ direction }, () => {
        if (this.stopped || this.task !== task) return;
        change.finishedAtMicros = this.host.clock.nowMicros();
        this.task = undefined;
        this.gossip.update(withStatus(this.state, this.host.self, then));
        this.scheduleCatchUp({ direction }, change, before, planMembers);
      });
    };
    task.cancel = direction === 'pull' ? this.transfer.pull(run, finished) : this.transfer.push(run, finished);
  }

  /** A new figures record for a change of this node's, announced now. */
  private recordChange(kind: 'join' | 'leave'): MembershipChange {
    const change: MembershipChange = { kind, node: this.host.self, announcedAtMicros: this.host.clock.nowMicros(), transferStartedAtMicros: 0, finishedAtMicros: null, keys: 0, streams: 0, caughtUpAtMicros: null };
    this.changes.push(change);
    return change;
  }

  /** Sibling sets this node has received (pull) or sent (push) so far. */
  private moved(direction: 'pull' | 'push'): number {
    return direction === 'pull' ? this.transfer.figures.keysReceived : this.transfer.figures.keysSent;
  }

  /**
   * Step 4: the streams planned again (catchUpStreams), `settle` from now (once coordinators have switched); then the durable
   * "catch-up owed" record is cleared. `before`: the transfer figure the change's key count starts from.
   */
  private scheduleCatchUp(plan: CatchUpPlan, change: MembershipChange, before: number, planMembers: readonly Member[] | undefined, round = 1): void {
    if (this.catchUp?.timer !== undefined) this.host.clock.cancelTimer(this.catchUp.timer);
    this.catchUp?.cancel?.();
    const catchUp: NonNullable<Membership['catchUp']> = { timer: undefined, cancel: undefined };
    this.catchUp = catchUp;
    catchUp.timer = this.host.clock.setTimer(this.options.settleMicros, () => {
      catchUp.timer = undefined;
      if (this.stopped) return;
      // Planned now, against the ring as it is as well as the one the first pass used: a change this node had
      // not heard of when it moved its data (it was cut off, or two changes overlapped) has moved arcs since,
      // and replaying the first plan missed them (found by a second membership review: a join and a leave
      // overlapping lost N = 1 writes).
      const plannedAgainst = this.placementKey;
      const streams = this.options.skipTransfer === true ? [] : this.catchUpStreams(plan.direction, planMembers);
      const done = () => {
        if (this.stopped || this.catchUp !== catchUp) return;
        this.catchUp = undefined;
        change.keys = this.moved(plan.direction) - before;
        // The ring moved on while this pass ran: once more against the new one (a few rounds at most).
        if (this.placementKey !== plannedAgainst && round < MAX_CATCH_UP_ROUNDS) return this.scheduleCatchUp(plan, change, before, planMembers, round + 1);
        change.caughtUpAtMicros = this.host.clock.nowMicros();
        this.host.persistCatchUp(null, () => {});
      };
      catchUp.cancel = plan.direction === 'pull' ? this.transfer.pull(streams, done) : this.transfer.push(streams, done);
    });
  }

  /**
   * The catch-up pass's streams: the first pass's rule (movedRanges), applied between the ring as it is now
   * and each ring this node's data may have been placed by since the first pass was planned: the placement
   * members then (`planMembers`; unknown after a restart, when the current members without this node (join)
   * or with it (leave) stand in), with any set of the changes made since then undone — they completed one at a
   * time, in an order this node does not know (see "Several changes in flight"). This includes the first
   * pass's ring and the current one without this node (join: where the others put the arcs it now holds while
   * it was joining) or with it (leave: where another leaver may have pushed to it). Planning against only those
   * two missed the rings before another change that completed meanwhile (found by a review: a second joiner
   * caught up from the first joiner, which had never held the arcs).
   *
   * A joiner pulls each arc it gained from that arc's replicas in those rings; a leaver pushes each arc it held
   * in them to the arc's current replicas. Nodes that have left are not pulled from (their own leave pushed
   * what they held, and a node that has left may be gone), so a catch-up waits only for nodes that replicate
   * its arcs — as the first pass does — and costs about what the first pass cost.
   */
  private catchUpStreams(direction: 'pull' | 'push', planMembers: readonly Member[] | undefined): StreamPlan[] {
    const self = this.host.self;
    const n = this.host.n;
    const now = this.placement;
    const current = placementMembers(this.state);
    let base = planMembers;
    if (base === undefined) {
      // Built directly: a status never moves backwards, so this is no state of the ring, only a placement to
      // compare with.
      const others = current.filter((m) => m.id !== self);
      const own = recordOf(this.state, self);
      base = direction === 'pull' || own === undefined ? others : [...others, { id: self, weight: own.weight }];
    }
    const inBase = new Set(base.map((m) => m.id));
    const inNow = new Set(current.map((m) => m.id));
    const changed = [...new Set([...inBase, ...inNow])].filter((id) => inBase.has(id) !== inNow.has(id)).sort();
    const byPeer = new Map<NodeId, RingRange[]>();
    const add = (peer: NodeId, range: RingRange) => {
      if (peer === self || recordOf(this.state, peer)?.status === 'left') return;
      addRange(byPeer, peer, range);
    };
    for (const made of orderSubsets(changed)) {
      // `base` with the changes of `made` made (the others not yet); with all of them it is the ring as it is
      // now, where nothing moved.
      if (made.length === changed.length && changed.length > 0) continue;
      const toggled = new Set(made);
      const before = this.ringOf([...base.filter((m) => !toggled.has(m.id)), ...current.filter((m) => toggled.has(m.id) && !inBase.has(m.id))]);
      for (const move of movedRanges(before, now, n)) {
        if (direction === 'pull' && move.to.includes(self)) for (const source of move.from) add(source, move.range);
        if (direction === 'push' && move.from.includes(self)) for (const owner of move.to) add(owner, move.range);
      }
    }
    return [...byPeer].map(([peer, ranges]) => ({ peer, ranges }));
  }



}

/** Initial state and placement key per member list (a 500-node simulation built them 500 times over). */
const initialStates = new WeakMap<readonly Member[], { state: RingState; key: string }>();

/** What the placement ring depends on: its members and their weights. */
function placementKeyOf(state: RingState): string {
  return membersKey(placementMembers(state));
}

/** `placementKeyOf` for a member list in any order. */
function membersKey(members: readonly Member[]): string {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return fingerprint({ records: sorted.map((m) => ({ id: m.id, weight: m.weight ?? 1, status: 'active' as const, version: 0 })) });
}

/** Adds `range` to `peer`'s list, once. */
function addRange(byPeer: Map<NodeId, RingRange[]>, peer: NodeId, range: RingRange): void {
  const list = byPeer.get(peer) ?? [];
  if (!list.some((r) => r.start === range.start && r.end === range.end)) list.push(range);
  byPeer.set(peer, list);
}
