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
 */
export class Suspicion {
  private readonly until = new Map<NodeId, number>();
  private readonly since = new Map<NodeId, number>();

  constructor(
    private readonly clock: Clock,
    private readonly suspectForMicros: number,
  ) {
    if (!(suspectForMicros > 0)) throw new RangeError('suspectForMicros must be > 0');
  }

  suspect(node: NodeId): void {
    const now = this.clock.nowMicros();
    this.until.set(node, now + this.suspectForMicros);
    this.since.set(node, now);
  }

  heardFrom(node: NodeId): void {
    if (this.until.size > 0 && this.until.delete(node)) this.since.delete(node);
  }

  isSuspected(node: NodeId): boolean {
    const until = this.until.get(node);
    if (until === undefined) return false;
    const now = this.clock.nowMicros();
    if (now >= until || now < this.since.get(node)!) {
      this.until.delete(node);
      this.since.delete(node);
      return false;
    }
    return true;
  }

  suspected(): NodeId[] {
    return [...this.until.keys()].filter((node) => this.isSuspected(node));
  }
}
