import type { Clock, NodeId } from '../env';

/**
 * Local failure suspicion, as Dynamo does it (§4.8): a node that failed to answer a request in time is
 * treated as down for a while, so the next requests go around it (sloppy quorum) instead of waiting for
 * the same timeout again. Any message from the node clears the suspicion at once.
 */
export class Suspicion {
  private readonly until = new Map<NodeId, number>();

  constructor(
    private readonly clock: Clock,
    private readonly suspectForMicros: number,
  ) {
    if (!(suspectForMicros > 0)) throw new RangeError('suspectForMicros must be > 0');
  }

  suspect(node: NodeId): void {
    this.until.set(node, this.clock.nowMicros() + this.suspectForMicros);
  }

  heardFrom(node: NodeId): void {
    if (this.until.size > 0) this.until.delete(node);
  }

  isSuspected(node: NodeId): boolean {
    const until = this.until.get(node);
    if (until === undefined) return false;
    if (this.clock.nowMicros() >= until) {
      this.until.delete(node);
      return false;
    }
    return true;
  }

  suspected(): NodeId[] {
    return [...this.until.keys()].filter((node) => this.isSuspected(node));
  }
}
