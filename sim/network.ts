import type { MessageHandler, NodeId, Random, Transport } from '../core/env';
import type { SimHost } from './host';
import { sampleLatencyMicros, validateLatency, type LatencyDistribution } from './latency';
import { EventTag, type EventHandler, type SimEvent, type Simulator } from './simulator';

/**
 * The simulated network: every message is one delivery event, timed by a latency distribution and subject to
 * loss, duplication, reordering and partitions.
 *
 * Rules (each has a property test in test/sim/network.test.ts):
 * - Nothing is delivered before it was sent plus the sampled latency.
 * - A message crosses only if its link is open both when it is sent and when it would arrive, so nothing
 *   crosses an active partition, and a message in flight when a partition starts is lost with it.
 * - Per-link FIFO order holds unless `reorder` is on: a later message never overtakes an earlier one on the
 *   same (from, to) link — its delivery is held back to the earlier one's time, with the sequence number
 *   breaking the tie.
 * - Duplicates happen only with `duplicateProbability` > 0; each duplicate gets its own latency.
 * - Messages to a crashed host, or to an older incarnation of a restarted one, are dropped (the TCP
 *   connection they rode on died with the process).
 */
export interface LinkConditions {
  latency: LatencyDistribution;
  lossProbability: number;
  duplicateProbability: number;
  /** When false (default), each link delivers in send order. */
  reorder: boolean;
}

export type LinkOverride = Partial<LinkConditions>;

export interface NetworkCounters {
  sent: number;
  delivered: number;
  bytesSent: number;
  droppedPartition: number;
  droppedLoss: number;
  droppedDeadHost: number;
  duplicated: number;
}

export const DEFAULT_LINK: LinkConditions = {
  latency: { kind: 'lognormal', medianMs: 0.5, sigma: 0.4 },
  lossProbability: 0,
  duplicateProbability: 0,
  reorder: false,
};

export class SimNetwork implements EventHandler {
  private readonly hosts: SimHost[] = [];
  private readonly byId = new Map<NodeId, SimHost>();
  private readonly handlers: (MessageHandler | undefined)[] = [];
  private defaults: LinkConditions;
  private readonly overrides = new Map<number, LinkOverride>();
  /** Partition group per host index; hosts in different groups cannot talk. Empty = no partition. */
  private groupOf: number[] = [];
  private readonly oneWayBlocked = new Set<number>();
  /**
   * Per sending host, the latest delivery time scheduled on each of its links (by receiver index; 0 = none),
   * for per-link FIFO. Typed arrays rather than one Map keyed by link: a lookup and an update per message
   * were ~2 % of a 500-node run. Allocated on a host's first send; n hosts cost at most 8·n² bytes (2 MB at 500).
   */
  private readonly lastDeliveryAt: (Float64Array | undefined)[] = [];
  readonly counters: NetworkCounters = {
    sent: 0, delivered: 0, bytesSent: 0, droppedPartition: 0, droppedLoss: 0, droppedDeadHost: 0, duplicated: 0,
  };

  constructor(
    private readonly simulator: Simulator,
    private readonly random: Random,
    defaults: Partial<LinkConditions> = {},
  ) {
    this.defaults = { ...DEFAULT_LINK };
    this.setDefaults(defaults);
  }

  /** Registers a host and returns its Transport. */
  attach(host: SimHost): SimTransport {
    if (this.byId.has(host.id)) throw new Error(`host '${host.id}' is already on the network`);
    if (host.index !== this.hosts.length) {
      throw new Error(`host '${host.id}' has index ${host.index}; expected ${this.hosts.length} (attach in index order)`);
    }
    this.hosts.push(host);
    this.byId.set(host.id, host);
    this.handlers.push(undefined);
    this.lastDeliveryAt.push(undefined);
    return new SimTransport(this, host);
  }

  hostById(id: NodeId): SimHost | undefined {
    return this.byId.get(id);
  }

  /** Changes the default link conditions (e.g. a loss burst), validated. */
  setDefaults(change: Partial<LinkConditions>): void {
    const next = { ...this.defaults, ...change };
    validateLink(next, 'network');
    this.defaults = next;
  }

  get defaultConditions(): Readonly<LinkConditions> {
    return this.defaults;
  }

  /** Overrides conditions on the directed link from → to (merged over the defaults). */
  setLinkOverride(from: NodeId, to: NodeId, override: LinkOverride): void {
    const key = this.linkKey(this.requireHost(from).index, this.requireHost(to).index);
    const merged = { ...this.overrides.get(key), ...override };
    validateLink({ ...this.defaults, ...merged }, `link ${from}→${to}`);
    this.overrides.set(key, merged);
  }

  clearLinkOverrides(): void {
    this.overrides.clear();
  }

  /**
   * Splits the cluster: each listed group can talk only within itself; hosts not listed in any group form one
   * more group together. Replaces any previous group partition (one-way blocks stay).
   */
  partition(groups: NodeId[][]): void {
    const groupOf = new Array<number>(this.hosts.length).fill(0);
    const seen = new Set<NodeId>();
    groups.forEach((group, groupIndex) => {
      for (const id of group) {
        if (seen.has(id)) throw new Error(`node '${id}' appears in more than one partition group`);
        seen.add(id);
        groupOf[this.requireHost(id).index] = groupIndex + 1;
      }
    });
    this.groupOf = groupOf;
  }

  /** Blocks traffic from every host in `from` to every host in `to` (not the reverse). */
  blockOneWay(from: NodeId[], to: NodeId[]): void {
    for (const a of from) {
      for (const b of to) this.oneWayBlocked.add(this.linkKey(this.requireHost(a).index, this.requireHost(b).index));
    }
  }

  /** Removes every partition and one-way block. Link overrides (slow links, lossy links) stay. */
  heal(): void {
    this.groupOf = [];
    this.oneWayBlocked.clear();
  }

  get partitioned(): boolean {
    return this.groupOf.length > 0 || this.oneWayBlocked.size > 0;
  }

  /** True when a message from → to would be stopped by a partition right now. */
  isBlocked(fromIndex: number, toIndex: number): boolean {
    if (fromIndex === toIndex) return false;
    if (this.groupOf.length > 0) {
      const a = this.groupOf[fromIndex] ?? 0;
      const b = this.groupOf[toIndex] ?? 0;
      if (a !== b) return true;
    }
    return this.oneWayBlocked.size > 0 && this.oneWayBlocked.has(this.linkKey(fromIndex, toIndex));
  }

  /**
   * Forgets the host's handler (a crash): until the next incarnation registers its own, messages to the host are
   * dropped as to a dead one. Kept, the crashed incarnation's handler received what was sent to the new one
   * during its boot — a dead node acknowledged writes the new one never stored (found by a review).
   */
  clearHandler(host: SimHost): void {
    this.handlers[host.index] = undefined;
  }

  /** @internal used by SimTransport */
  setHandler(host: SimHost, handler: MessageHandler): void {
    this.handlers[host.index] = handler;
  }

  /** @internal used by SimTransport */
  send(from: SimHost, toId: NodeId, message: Uint8Array): void {
    const to = this.byId.get(toId);
    this.counters.sent++;
    this.counters.bytesSent += message.length;
    if (to === undefined) {
      this.counters.droppedDeadHost++;
      return;
    }
    if (this.isBlocked(from.index, to.index)) {
      this.counters.droppedPartition++;
      return;
    }
    const link = this.conditions(from.index, to.index);
    if (link.lossProbability > 0 && this.random.next() < link.lossProbability) {
      this.counters.droppedLoss++;
      return;
    }
    const digest = digestBytes(message);
    this.scheduleDelivery(from, to, message, link, digest);
    if (link.duplicateProbability > 0 && this.random.next() < link.duplicateProbability) {
      this.counters.duplicated++;
      this.scheduleDelivery(from, to, message, link, digest);
    }
  }

  private scheduleDelivery(from: SimHost, to: SimHost, message: Uint8Array, link: LinkConditions, digest: number): void {
    let at = this.simulator.nowMicros + sampleLatencyMicros(link.latency, this.random);
    const key = this.linkKey(from.index, to.index);
    if (!link.reorder) {
      let last = this.lastDeliveryAt[from.index];
      if (last === undefined || last.length <= to.index) {
        const grown = new Float64Array(Math.max(this.hosts.length, to.index + 1));
        if (last !== undefined) grown.set(last);
        last = this.lastDeliveryAt[from.index] = grown;
      }
      const previous = last[to.index]!;
      if (previous > at) at = previous;
      last[to.index] = at;
    }
    // A record, not a closure: payload = the destination host, the message, the incarnation it was sent to.
    this.simulator.scheduleRecord(at, EventTag.MessageDelivery, this, to, message, to.incarnation, key, digest);
  }

  /** @internal the kernel delivers a message (scheduled by scheduleDelivery) */
  fire(event: SimEvent): void {
    const to = event.ref as SimHost;
    if (!to.isCurrent(event.number)) {
      this.counters.droppedDeadHost++;
      return;
    }
    // detailA is the link key: from × 2^20 + to.
    const fromIndex = Math.floor(event.detailA / 1_048_576);
    if (this.isBlocked(fromIndex, to.index)) {
      this.counters.droppedPartition++;
      return;
    }
    const handler = this.handlers[to.index];
    if (handler === undefined) {
      this.counters.droppedDeadHost++;
      return;
    }
    this.counters.delivered++;
    handler((this.hosts[fromIndex] as SimHost).id, event.data as Uint8Array);
  }

  private conditions(fromIndex: number, toIndex: number): LinkConditions {
    if (this.overrides.size === 0) return this.defaults;
    const override = this.overrides.get(this.linkKey(fromIndex, toIndex));
    return override === undefined ? this.defaults : { ...this.defaults, ...override };
  }

  private linkKey(fromIndex: number, toIndex: number): number {
    return fromIndex * 1_048_576 + toIndex;
  }

  private requireHost(id: NodeId): SimHost {
    const host = this.byId.get(id);
    if (host === undefined) throw new Error(`unknown node '${id}' (known: ${[...this.byId.keys()].slice(0, 8).join(', ')}…)`);
    return host;
  }
}

/** One host's view of the simulated network. */
export class SimTransport implements Transport {
  constructor(
    private readonly network: SimNetwork,
    private readonly host: SimHost,
  ) {}

  get self(): NodeId {
    return this.host.id;
  }

  send(to: NodeId, message: Uint8Array): void {
    // A crashed process sends nothing (a stale callback from a dead incarnation may still try).
    if (!this.host.alive) return;
    this.network.send(this.host, to, message);
  }

  onMessage(handler: MessageHandler): void {
    this.network.setHandler(this.host, handler);
  }
}

function validateLink(link: LinkConditions, where: string): void {
  validateLatency(link.latency, `${where} latency`);
  for (const knob of ['lossProbability', 'duplicateProbability'] as const) {
    const value = link[knob];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${where}: ${knob} must be within [0, 1], got ${value}`);
  }
}

/**
 * A cheap 32-bit digest of a message, so the trace hash covers message contents: every byte counts, taken a
 * little-endian word at a time (FNV-1a style over words, then the tail and the length) — a quarter of the
 * multiplies of a byte-wise FNV over the ~100 MB a 500-node run sends.
 */
function digestBytes(bytes: Uint8Array): number {
  const length = bytes.length;
  const blockEnd = length & ~3;
  let hash = 0x811c9dc5;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    hash = Math.imul(hash ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)), 0x01000193);
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) tail |= bytes[i]! << shift;
  hash = Math.imul(hash ^ tail, 0x01000193);
  hash = Math.imul(hash ^ length, 0x01000193);
  return (hash ^ (hash >>> 15)) >>> 0;
}
