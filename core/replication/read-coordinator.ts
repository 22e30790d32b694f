import type { NodeId } from '../env';
import { bytesEqual, mergeAll, needsRepair, type ConflictMode, type SiblingSet } from '../versioning';

/**
 * One read in flight at its coordinator. It answers the client after R replies with the merge of what they
 * returned (siblings included), then keeps listening until every asked replica answered or the deadline
 * passes, and finally names the replicas that are behind the merged result, so the node can read-repair them.
 */
export interface ReadOutcome {
  status: 'ok' | 'fail';
  merged: SiblingSet;
  replies: number;
  error: string;
}

export class ReadRequest {
  private readonly asked = new Set<NodeId>();
  private readonly replies = new Map<NodeId, SiblingSet>();
  /** The encoded replies seen so far and their decoded sets (see decodedReply). */
  private readonly encodedReplies: { bytes: Uint8Array; set: SiblingSet }[] = [];
  private answered = false;
  private settled = false;

  constructor(
    readonly requestId: number,
    readonly r: number,
    private readonly mode: ConflictMode,
    private readonly spares: NodeId[],
    private readonly onAnswer: (outcome: ReadOutcome) => void,
    private readonly onSettled: (merged: SiblingSet, stale: NodeId[]) => void,
  ) {
    if (!(Number.isInteger(r) && r >= 1)) throw new RangeError(`r must be a positive integer, got ${r}`);
  }

  get done(): boolean {
    return this.settled;
  }

  asking(node: NodeId): void {
    this.asked.add(node);
  }

  askedCount(): number {
    return this.asked.size;
  }

  /**
   * Decodes an encoded reply with `decode`, unless an earlier reply had the very same bytes: replicas in
   * agreement (the usual case) send identical encodings, and the earlier reply's set (read-only, like every
   * decoded set) is reused — no second decode, and merges and repair checks then compare versions by identity.
   */
  decodedReply(bytes: Uint8Array, decode: (bytes: Uint8Array) => SiblingSet): SiblingSet {
    for (const earlier of this.encodedReplies) if (bytesEqual(earlier.bytes, bytes)) return earlier.set;
    const set = decode(bytes);
    this.encodedReplies.push({ bytes, set });
    return set;
  }

  reply(from: NodeId, set: SiblingSet): void {
    if (!this.asked.has(from) || this.replies.has(from) || this.settled) return;
    // A replica of the other conflict mode (a misconfigured member) cannot be merged with: it counts as silent,
    // so the read fails its quorum or goes around it instead of throwing in a timer, where nothing catches it.
    if (set.mode !== this.mode) return;
    this.replies.set(from, set);
    if (!this.answered && this.replies.size >= this.r) {
      this.answered = true;
      this.onAnswer({ status: 'ok', merged: this.merged(), replies: this.replies.size, error: '' });
    }
    if (this.replies.size === this.asked.size) this.settle();
  }

  silent(): NodeId[] {
    return [...this.asked].filter((node) => !this.replies.has(node));
  }

  /** Takes the next stand-in, if any, to replace a silent replica (never one already asked). */
  takeSpare(): NodeId | undefined {
    let spare = this.spares.shift();
    while (spare !== undefined && this.asked.has(spare)) spare = this.spares.shift();
    return spare;
  }

  timeout(timeoutMicros: number): void {
    if (!this.answered) {
      this.answered = true;
      this.onAnswer({
        status: 'fail',
        merged: this.merged(),
        replies: this.replies.size,
        error: `quorum not met: ${this.replies.size} of R=${this.r} replicas replied within ${(timeoutMicros / 1000).toFixed(0)} ms`,
      });
    }
    this.settle();
  }

  private merged(): SiblingSet {
    // Agreeing replicas share one decoded set (decodedReply), and merging a set with itself gives it back:
    // skip building the same set again (twice per read, at the answer and at settle).
    let only: SiblingSet | undefined;
    let same = true;
    for (const set of this.replies.values()) {
      if (only === undefined) only = set;
      else if (set !== only) same = false;
    }
    if (same && only !== undefined && only.mode === this.mode) return only;
    return mergeAll([...this.replies.values()], this.mode);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.replies.size === 0) return;
    const merged = this.merged();
    const stale: NodeId[] = [];
    for (const [node, set] of this.replies) if (needsRepair(set, merged)) stale.push(node);
    this.onSettled(merged, stale);
  }
}
