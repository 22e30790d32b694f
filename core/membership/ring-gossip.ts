import type { Clock, NodeId, Random, TimerId } from '../env';
import type { RingGossipMessage } from '../replication/messages';
import { applyRecords, newerThan, type MemberRecord, type RingState } from './ring-state';

/**
 * Gossip of ring state: push-pull anti-entropy over the member records (ring-state.ts).
 *
 * Every round (interval + up to 25 % jitter, from the node's own clock and random stream) a node sends its
 * whole record list to one random peer — any member not `left`, joining ones included, so a newcomer hears
 * back. The peer merges what it got and answers with the records it holds that beat the sender's; after the
 * two messages both sides hold the merge of their states. Because merge is a lattice join, loss,
 * duplication and reordering only slow convergence down: information reaches all n nodes in O(log n)
 * rounds. A local change (this node's own record) is pushed at once to one peer instead of waiting a round.
 *
 * Records are ~15 bytes; a whole list per round is fine for the clusters dynalab simulates with membership
 * changes. (A 500-node cluster would want digests first — left for when it matters.) With interval 0 there is
 * no timer and no random draw at all, so runs without dynamic membership replay exactly as before.
 */
export interface RingGossipHost {
  readonly self: NodeId;
  readonly clock: Clock;
  readonly random: Random;
  send(to: NodeId, message: RingGossipMessage): void;
  /** Called after the state changed (by a merge or a local update), with the state before. */
  changed(state: RingState, previous: RingState): void;
}

export class RingGossip {
  private current: RingState;
  private timer: TimerId | undefined;
  private stopped = false;
  rounds = 0;

  constructor(private readonly host: RingGossipHost, initial: RingState, private readonly intervalMicros: number) {
    if (!(Number.isInteger(intervalMicros) && intervalMicros >= 0)) throw new RangeError(`ring gossip interval must be a whole number of µs ≥ 0, got ${intervalMicros}`);
    this.current = initial;
  }

  get state(): RingState {
    return this.current;
  }

  get enabled(): boolean {
    return this.intervalMicros > 0;
  }

  start(): void {
    if (this.enabled) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.host.clock.cancelTimer(this.timer);
  }

  /** A local change (this node's own record): adopt it, tell the host, and push it to `to` (or a random peer). */
  update(next: RingState, to?: NodeId): void {
    const previous = this.current;
    const merged = applyRecords(previous, next.records);
    this.current = merged.state;
    if (merged.changed.length > 0) this.host.changed(this.current, previous);
    const peer = to ?? this.randomPeer();
    if (peer !== undefined && !this.stopped) this.push(peer);
  }

  /** One round now: push this node's records to a random peer. False if it knows no peer. */
  runOnce(): boolean {
    const peer = this.randomPeer();
    if (peer === undefined || this.stopped) return false;
    this.rounds++;
    this.push(peer);
    return true;
  }

  receive(from: NodeId, message: RingGossipMessage): void {
    if (this.stopped) return;
    const incoming: MemberRecord[] = message.records;
    const previous = this.current;
    let merged: { state: RingState; changed: MemberRecord[] };
    try {
      merged = applyRecords(previous, incoming);
    } catch {
      return; // a record that fails the state's invariants (bad weight, version): ignore the whole message
    }
    this.current = merged.state;
    if (merged.changed.length > 0) this.host.changed(this.current, previous);
    if (message.reply) return;
    const answer = newerThan(this.current, incoming);
    if (answer.length > 0) this.host.send(from, { type: 'ring-gossip', requestId: 0, reply: true, records: answer.map(copy) });
  }

  /** Members to gossip with: every record but this node's own and those that have left. */
  peers(): NodeId[] {
    return this.current.records.filter((r) => r.id !== this.host.self && r.status !== 'left').map((r) => r.id);
  }

  private push(to: NodeId): void {
    this.host.send(to, { type: 'ring-gossip', requestId: 0, reply: false, records: this.current.records.map(copy) });
  }

  private randomPeer(): NodeId | undefined {
    const peers = this.peers();
    return peers.length === 0 ? undefined : peers[this.host.random.int(peers.length)];
  }

  private schedule(): void {
    if (this.stopped) return;
    const jitter = this.host.random.int(Math.max(1, Math.floor(this.intervalMicros / 4)));
    this.timer = this.host.clock.setTimer(this.intervalMicros + jitter, () => {
      this.runOnce();
      this.schedule();
    });
  }
}

function copy(record: MemberRecord): RingGossipMessage['records'][number] {
  return { id: record.id, weight: record.weight, status: record.status, version: record.version };
}
