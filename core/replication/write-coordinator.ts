import type { NodeId } from '../env';
import { quorumState } from './quorum';
import type { Target } from './targets';

/**
 * One write in flight at its coordinator: which replicas were asked, who acknowledged, when to substitute a
 * silent owner with a stand-in (sloppy quorum), and when to give up.
 *
 * The coordinator stores the new sibling set locally and sends it to the other targets. It answers the client
 * after W acknowledgements — each one meaning "fsynced on that replica". If the deadline passes first the
 * outcome is *unknown* ('info'), never 'fail': some replicas may already hold the write, and read repair or
 * handoff may spread it later. It is 'fail' only when every target refused it for certain.
 */
export interface WriteOutcome {
  status: 'ok' | 'fail' | 'info';
  acks: number;
  error: string;
}

export class WriteRequest {
  private readonly asked = new Map<NodeId, Target>();
  private readonly acked = new Set<NodeId>();
  private readonly refused = new Set<NodeId>();
  /** Why each refusing replica refused (for the client's error). */
  private readonly reasons: string[] = [];
  private answered = false;

  constructor(
    readonly requestId: number,
    readonly w: number,
    private readonly spares: NodeId[],
    private readonly onDone: (outcome: WriteOutcome) => void,
  ) {
    if (!(Number.isInteger(w) && w >= 1)) throw new RangeError(`w must be a positive integer, got ${w}`);
  }

  get done(): boolean {
    return this.answered;
  }

  /** Records that `target` was sent the write. */
  asking(target: Target): void {
    if (this.asked.has(target.node)) throw new Error(`write ${this.requestId} asked ${target.node} twice`);
    this.asked.set(target.node, target);
  }

  targets(): Target[] {
    return [...this.asked.values()];
  }

  /** A replica's answer. Duplicates (a retransmitted ack) are ignored. */
  reply(from: NodeId, ok: boolean, error: string): void {
    if (!this.asked.has(from) || this.acked.has(from) || this.refused.has(from)) return;
    if (ok) this.acked.add(from);
    else {
      this.refused.add(from);
      this.reasons.push(`${from}: ${error}`);
    }
    if (this.answered) return;
    const state = quorumState(this.w, this.asked.size + this.spares.length, this.acked.size, this.refused.size);
    if (state === 'met') this.finish({ status: 'ok', acks: this.acked.size, error: '' });
    else if (state === 'impossible') {
      // 'fail' only when every replica asked has refused: one still silent may yet apply it (found by a review:
      // at W = N one refusal settled the outcome as "failed" while two replicas went on to store the write).
      const silent = this.silent().map((t) => t.node);
      this.finish({
        status: this.refused.size === this.asked.size ? 'fail' : 'info',
        acks: this.acked.size,
        error: `quorum not met: ${this.acked.size} of W=${this.w} acknowledged` +
          (this.refused.size > 0 ? `; ${this.refused.size} refused (${this.reasons.join('; ')})` : '') +
          (this.asked.size < this.w ? `; only ${this.asked.size} replica${this.asked.size === 1 ? ' was' : 's were'} asked (the others are suspected down)` : '') +
          (silent.length > 0 ? `; no answer yet from ${silent.join(', ')}, so the outcome is unknown` : ''),
      });
    }
  }

  /** Targets that refused the write (a replica whose storage failed, say). */
  refusing(): Target[] {
    return this.targets().filter((t) => this.refused.has(t.node));
  }

  /** Targets that have neither acknowledged nor refused yet. */
  silent(): Target[] {
    return this.targets().filter((t) => !this.acked.has(t.node) && !this.refused.has(t.node));
  }

  /** Takes the next stand-in, if any, to replace a silent target (never one already asked). */
  takeSpare(): NodeId | undefined {
    let spare = this.spares.shift();
    while (spare !== undefined && this.asked.has(spare)) spare = this.spares.shift();
    return spare;
  }

  timeout(timeoutMicros: number): void {
    if (this.answered) return;
    this.finish({
      status: 'info',
      acks: this.acked.size,
      error: `quorum not met: ${this.acked.size} of W=${this.w} replicas acknowledged within ${(timeoutMicros / 1000).toFixed(0)} ms` +
        silentNote(this.silent().map((t) => t.node), this.reasons),
    });
  }

  private finish(outcome: WriteOutcome): void {
    this.answered = true;
    this.onDone(outcome);
  }
}

/** "(no answer from n1, n2; refused: n3: …)" for a timed-out write's error, or '' when there is nothing to name. */
function silentNote(silent: readonly NodeId[], reasons: readonly string[]): string {
  const parts = [...(silent.length > 0 ? [`no answer from ${silent.join(', ')}`] : []), ...(reasons.length > 0 ? [`refused: ${reasons.join('; ')}`] : [])];
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}
