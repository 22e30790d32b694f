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
export class Suspicion {
  private readonly until = new Map<NodeId, number>();
  private readonly since = new Map<NodeId, number>();
  /** Nodes whose suspicion is of the whole-timeout grade (a subset of `until`'s keys). */
  private readonly silent = new Set<NodeId>();

  constructor(
    private readonly clock: Clock,
    private readonly suspectForMicros: number,
  ) {
    if (!(suspectForMicros > 0)) throw new RangeError('suspectForMicros must be > 0');
  }

  /** Silent for a whole request timeout. */
  suspect(node: NodeId): void {
    this.mark(node);
    this.silent.add(node);
  }

  /** Slower than a fraction of a request timeout; does not lower a whole-timeout suspicion already held. */
  suspectSlow(node: NodeId): void {
    this.mark(node);
  }

  private mark(node: NodeId): void {
    // An ended suspicion (expired, or the clock stepped back) leaves no grade behind; isSuspected clears it.
    if (!this.isSuspected(node)) this.silent.delete(node);
    const now = this.clock.nowMicros();
    this.until.set(node, now + this.suspectForMicros);
    this.since.set(node, now);
  }

  heardFrom(node: NodeId): void {
    if (this.until.size > 0 && this.until.delete(node)) {
      this.since.delete(node);
      this.silent.delete(node);
    }
  }

  /** Suspected of the whole-timeout grade (see the class comment). */
  isSilent(node: NodeId): boolean {
    return this.isSuspected(node) && this.silent.has(node);
  }

  isSuspected(node: NodeId): boolean {
    const until = this.until.get(node);
    if (until === undefined) return false;
    const now = this.clock.nowMicros();
    if (now >= until || now < this.since.get(node)!) {
      this.until.delete(node);
      this.since.delete(node);
      this.silent.delete(node);
      return false;
    }
    return true;
  }

  suspected(): NodeId[] {
    return [...this.until.keys()].filter((node) => this.isSuspected(node));
  }
}
