import type { Clock, NodeId } from '../env';

/**
 * Local failure suspicion, as Dynamo does it (§4.8): a node that failed to answer a request in time is
 * treated as down for a while, so the next requests go around it (sloppy quorum) instead of waiting for
 * the same timeout again. Any message from the node clears the suspicion at once.
 *
 * A suspicion remembers when it began as well as when it ends, both on the local clock: a clock stepped back
 * (NTP, an operator) reads earlier than the start, and the suspicion is then over. With the end alone, a step
 * back of an hour kept a healed owner suspected for that hour, and every read and write of its keys went to a
 * stand-in (found by a review).
 *
 * Two grades. `suspectSlow`: silent for a fraction of a request timeout (the substitute timers: a stand-in is
 * asked in its place) — reads and writes go around it. `suspect`: silent for a whole timeout — everything goes
 * around it, conditional writes too. A conditional write's coordinator must be the one every entry node picks
 * (the key's first healthy owner), or two of them accept writes against one version: routing those around a
 * merely slow owner made two cas winners with no fault at all (found by a scenario fuzzer: links of 0–100 ms
 * against a 300 ms timeout, suspected after 75 ms). `isSilent` answers for that grade only.
 */
/** One node's suspicion: when it began and ends (local clock), and its grade. */
interface Suspected {
  since: number;
  until: number;
  /** Whole-timeout grade (`suspect`), not only slow (`suspectSlow`). */
  silent: boolean;
}

export class Suspicion {
  private readonly entries = new Map<NodeId, Suspected>();

  constructor(
    private readonly clock: Clock,
    private readonly suspectForMicros: number,
  ) {
    if (!(suspectForMicros > 0)) throw new RangeError('suspectForMicros must be > 0');
  }

  /** Silent for a whole request timeout. */
  suspect(node: NodeId): void {
    this.mark(node, true);
  }

  /** Slower than a fraction of a request timeout; does not lower a whole-timeout suspicion already held. */
  suspectSlow(node: NodeId): void {
    this.mark(node, false);
  }

  private mark(node: NodeId, silent: boolean): void {
    // An ended suspicion (expired, or the clock stepped back) leaves no grade behind.
    const held = this.live(node);
    const now = this.clock.nowMicros();
    this.entries.set(node, { since: now, until: now + this.suspectForMicros, silent: silent || held?.silent === true });
  }

  heardFrom(node: NodeId): void {
    if (this.entries.size > 0) this.entries.delete(node);
  }

  /** Suspected of the whole-timeout grade (see the class comment). */
  isSilent(node: NodeId): boolean {
    return this.live(node)?.silent === true;
  }

  isSuspected(node: NodeId): boolean {
    return this.live(node) !== undefined;
  }

  suspected(): NodeId[] {
    return [...this.entries.keys()].filter((node) => this.isSuspected(node));
  }

  /** The node's suspicion while it lasts; an ended one is forgotten here. */
  private live(node: NodeId): Suspected | undefined {
    const entry = this.entries.get(node);
    if (entry === undefined) return undefined;
    const now = this.clock.nowMicros();
    if (now >= entry.until || now < entry.since) {
      this.entries.delete(node);
      return undefined;
    }
    return entry;
  }
}
