import type { KeyWrites, WriteRecord } from './supersession';

/**
 * The acknowledged writes of one key that nothing acknowledged supersedes yet, as time advances — the only
 * ones a freshness check has to test. If a read reflects a write X, it reflects everything X supersedes, so
 * "the read reflects every write acknowledged before it" holds exactly when it reflects every write on this
 * frontier. That turns the O(writes) question per read into O(frontier) — usually the key's current
 * siblings, a handful.
 *
 * "Covers" follows the mode's supersession (supersession.ts):
 * - vclock: an acknowledged write covers its causal ancestors. Each write is marked covered at most once and
 *   the ancestor walk stops at covered writes, so the whole sweep costs O(writes + context edges).
 * - lww: an acknowledged X covers every W invoked no later than X (a read reflecting X has a shown write
 *   completed no earlier than X.invoke ≥ W.invoke, so it reflects W too). The frontier is then the single
 *   acknowledged write invoked last.
 */
export class AckedFrontier {
  private readonly byOkTime: WriteRecord[];
  private next = 0;
  private readonly covered: Uint8Array;
  private readonly members = new Set<WriteRecord>();
  private latest: WriteRecord | undefined;

  constructor(private readonly writes: KeyWrites) {
    this.byOkTime = writes.writes.filter((w) => w.operation.outcome === 'ok').sort((a, b) => a.okTime - b.okTime || a.id - b.id);
    this.covered = new Uint8Array(writes.writes.length);
  }

  /** Takes in every write acknowledged strictly before `time`. Times must not go backwards. */
  advanceTo(time: number): void {
    while (this.next < this.byOkTime.length && (this.byOkTime[this.next] as WriteRecord).okTime < time) {
      const write = this.byOkTime[this.next++] as WriteRecord;
      if (this.writes.mode === 'lww') {
        if (this.latest === undefined || write.invokeTime >= this.latest.invokeTime) this.latest = write;
        continue;
      }
      if (this.covered[write.id] === 0) this.members.add(write);
      const stack = [...write.parents];
      while (stack.length > 0) {
        const id = stack.pop() as number;
        if (this.covered[id] === 1) continue;
        this.covered[id] = 1;
        this.members.delete(this.writes.writes[id] as WriteRecord);
        stack.push(...(this.writes.writes[id] as WriteRecord).parents);
      }
    }
  }

  /** The uncovered acknowledged writes taken in so far. */
  current(): WriteRecord[] {
    if (this.writes.mode === 'lww') return this.latest === undefined ? [] : [this.latest];
    return [...this.members];
  }
}
