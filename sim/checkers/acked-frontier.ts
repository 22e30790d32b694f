import type { KeyWrites, WriteRecord } from './supersession';

/**
 * The acknowledged writes of one key that nothing acknowledged supersedes yet, as time advances — the only
 * ones a freshness check has to test. If a read reflects a write X, it reflects everything X supersedes, so
 * "the read reflects every write acknowledged before it" holds exactly when it reflects every write on this
 * frontier. That turns the O(writes) question per read into roughly O(current siblings).
 *
 * "Covers" follows the mode's supersession (supersession.ts):
 * - vclock: an acknowledged write covers its causal ancestors. Each write is marked covered at most once and
 *   the ancestor walk stops at covered writes, so the whole sweep costs O(writes + context edges). Deletes
 *   have no value, so nothing covers them: they stay on the frontier, kept in invoke order, and a read needs
 *   to look only at the recent ones (see `readReflectsAll`).
 * - lww: an acknowledged X covers every W invoked no later than X (a read reflecting X shows a write that may
 *   have been stamped no earlier than X.invoke ≥ W.invoke — its `latestStampTime` reaches X.invoke — so it
 *   reflects W too). The frontier is the acknowledged write invoked last.
 */
export class AckedFrontier {
  private readonly byOkTime: WriteRecord[];
  private next = 0;
  private readonly covered: Uint8Array;
  private readonly puts = new Set<WriteRecord>();
  /** Acknowledged deletes, ascending invoke time. */
  private readonly deletes: WriteRecord[] = [];
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
      if (write.value === null) {
        let at = this.deletes.length;
        while (at > 0 && (this.deletes[at - 1] as WriteRecord).invokeTime > write.invokeTime) at--;
        this.deletes.splice(at, 0, write);
      } else if (this.covered[write.id] === 0) {
        this.puts.add(write);
      }
      const stack = [...write.parents];
      while (stack.length > 0) {
        const id = stack.pop() as number;
        if (this.covered[id] === 1) continue;
        this.covered[id] = 1;
        this.puts.delete(this.writes.writes[id] as WriteRecord);
        stack.push(...(this.writes.writes[id] as WriteRecord).parents);
      }
    }
  }

  /** Whether an acknowledged write taken in so far supersedes `write` (so reflecting the frontier reflects it). */
  isCovered(write: WriteRecord): boolean {
    if (this.writes.mode === 'lww') return this.latest !== undefined && write.invokeTime <= this.latest.invokeTime;
    return this.covered[write.id] === 1;
  }

  /**
   * `true` only if a read showing `values` (completed at `readCompleteTime`, invoked after everything taken in)
   * certainly reflects every acknowledged write taken in so far; `false` = could not tell cheaply.
   */
  readReflectsAll(values: readonly string[], readCompleteTime: number): boolean {
    if (this.writes.mode === 'lww') return this.latest === undefined || this.writes.certainlyReflects(this.latest, values, readCompleteTime);
    for (const put of this.puts) if (!this.writes.certainlyReflects(put, values, readCompleteTime)) return false;
    // Every acknowledged delete was invoked before the read completed, so an empty read is explained by each.
    if (values.length === 0 || this.deletes.length === 0) return true;
    // A non-empty read reflects delete D when no shown write is D's causal ancestor. Ancestors are invoked
    // before their descendants, so only deletes invoked after the earliest shown write are in question.
    const shown = values.map((v) => this.writes.writeOf(v)).filter((w): w is WriteRecord => w !== undefined);
    if (shown.length === 0) return true;
    const earliest = shown.reduce((m, w) => Math.min(m, w.invokeTime), Number.POSITIVE_INFINITY);
    let descendants: Set<number> | undefined;
    for (let i = this.deletes.length - 1; i >= 0; i--) {
      const del = this.deletes[i] as WriteRecord;
      if (del.invokeTime < earliest) break;
      descendants ??= this.writes.causalDescendants(shown, readCompleteTime, 256);
      if (descendants === undefined || descendants.has(del.id)) return false;
    }
    return true;
  }
}
