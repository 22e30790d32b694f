import type { CheckedOperation } from './operations';

/**
 * Which writes of one key a read "reflects": the writes it shows, plus every write that something it shows
 * supersedes. Lost writes, stale reads, session guarantees and LWW overwrites are all the question "does this
 * read reflect that write?", so the answer lives here, once.
 *
 * Supersession ("Y supersedes W") depends on the conflict mode:
 * - vclock: causal, transitively — W's value is in Y's `context` (or is the `expected` of a cas Y): Y's
 *   client saw W and replaced it; and so on down the chain.
 * - lww: Y *may have been stamped after W was invoked* (Y's `latestStampTime` ≥ W's invoke), so with honest
 *   clocks Y may have received the higher timestamp and legitimately won. This is a "may": the checkers must
 *   not accuse the store when a correct LWW store could have produced the history. (The classic skew anomaly —
 *   a write losing to one that completed before it started — is exactly what this rule does not excuse.)
 *   The coordinator stamps a version before it answers (core/node.ts applyWrite), so Y's stamp is no later
 *   than any answer Y got, `info` ("quorum not met", a client giving up) included; only a write that never
 *   got an answer may have been stamped at any time. (One gap: an entry node that forwarded Y and timed out
 *   answers `info` while its message may still be on the way; it takes a link slower than the forward's
 *   deadline, two request timeouts, for the coordinator to stamp Y after that answer.) An info answer was once
 *   taken as "stamped any time", which let a write answered unknown long before W started out-stamp W (found
 *   by the checker review). Like the rest of the rule this assumes honest clocks: skewed ones are what
 *   lww-lost-overwrites measures.
 *   Causal supersession adds nothing here: a write in Y's context was visible before Y was invoked, so it was
 *   invoked before Y completed, and the rule already covers it (an LWW store ignores contexts anyway). And the
 *   relation is deliberately *not* transitive: the shown write must out-stamp W itself. A chain X ~ Y ~ W of
 *   pairwise-concurrent writes does not excuse X hiding W when X completed before W began — timestamps within
 *   [invoke, completion] cannot give X > Y > W there. (An earlier draft took the closure and missed exactly
 *   such lost writes; the property tests caught it.)
 *
 * Only writes that may have happened take part: `ok`, `info` and never-completed writes. A write that
 * certainly failed supersedes nothing and is never reflected.
 *
 * Deletes have no value of their own (the history writes `value: null`), so nothing can name them in a
 * context. A delete D *explains* a read S — i.e. S may be showing D's effect — when:
 * - S is empty (not found), and D was invoked before S completed; or
 * - vclock mode only: S is non-empty but no value in S is a causal ancestor of D. D is then a hidden
 *   tombstone sibling of what S shows (a delete concurrent with a put stays a sibling; reads hide tombstones).
 *   In LWW mode a non-empty read means a put out-stamped every delete, so deletes explain nothing there.
 */
export type ConflictMode = 'vclock' | 'lww';

export interface WriteRecord {
  /** Dense id within the key, in invoke order. */
  id: number;
  operation: CheckedOperation;
  /** put/cas: the value written; delete: null. */
  value: string | null;
  invokeTime: number;
  /**
   * Completion time if acknowledged (`ok`), else +∞: an info or never-completed write may take effect (reach
   * replicas, become visible) any time later.
   */
  okTime: number;
  /**
   * LWW: the latest true time its version can have been stamped — the completion time when it got an answer
   * (`ok` or `info`: the coordinator stamps before answering), +∞ when it never got one. Orders writes under
   * LWW; `okTime` says when it counts as done.
   */
  latestStampTime: number;
  /** Ids of the writes this one causally supersedes (its context, plus a cas's expected value). */
  parents: number[];
}

/**
 * How many of a key's acknowledged writes its final reads can judge: those acknowledged before the last final
 * read began (a write acknowledged after a read was invoked is not held against that read). The rest cannot be
 * judged, so a checker must say unknown for them, never ok (found by the checker review).
 */
function judgedByFinalReads(acked: readonly WriteRecord[], finalReads: readonly CheckedOperation[]): number {
  const lastFinalReadStart = finalReads.reduce((latest, read) => Math.max(latest, read.invoke.time), Number.NEGATIVE_INFINITY);
  return acked.filter((write) => write.okTime < lastFinalReadStart).length;
}

/**
 * The acknowledged writes final reads could not judge, for lost-writes and lww-lost-overwrites alike: those on
 * keys with no completed final read, and those acknowledged only after every final read of their key began.
 */
export class UnjudgedWrites {
  keysWithoutFinalRead = 0;
  writesWithoutFinalRead = 0;
  keysAcknowledgedAfterFinalReads = 0;
  acknowledgedAfterFinalReads = 0;

  /** Counts one key's acknowledged writes; returns how many of them its final reads judge. */
  count(acked: readonly WriteRecord[], finalReads: readonly CheckedOperation[]): number {
    if (finalReads.length === 0) {
      if (acked.length > 0) this.keysWithoutFinalRead++;
      this.writesWithoutFinalRead += acked.length;
      return 0;
    }
    const judged = judgedByFinalReads(acked, finalReads);
    if (judged < acked.length) {
      this.keysAcknowledgedAfterFinalReads++;
      this.acknowledgedAfterFinalReads += acked.length - judged;
    }
    return judged;
  }

  get total(): number {
    return this.writesWithoutFinalRead + this.acknowledgedAfterFinalReads;
  }

  /** One clause per reason that applies, for a summary. */
  clauses(): string[] {
    const clauses: string[] = [];
    if (this.writesWithoutFinalRead > 0) clauses.push(`${this.writesWithoutFinalRead} acknowledged writes on ${this.keysWithoutFinalRead} keys not judged (no final read completed)`);
    if (this.acknowledgedAfterFinalReads > 0) {
      clauses.push(`${this.acknowledgedAfterFinalReads} acknowledged writes on ${this.keysAcknowledgedAfterFinalReads} keys not judged (acknowledged only after every final read of the key began)`);
    }
    return clauses;
  }
}

export class KeyWrites {
  /** Writes that may have happened (not failed), in invoke order. */
  readonly writes: WriteRecord[] = [];
  /** Values written by writes that certainly failed: if a read shows one, the read is a phantom. */
  readonly failedValues = new Set<string>();
  private readonly byValue = new Map<string, WriteRecord>();
  /** For each write, the writes whose context names it (the forward causal edges). */
  private readonly children: number[][] = [];
  private readonly deleteIds: number[] = [];
  /** Scratch marks, stamped per query so a query costs O(writes reached), not O(writes) to clear. */
  private readonly marks: Uint32Array;
  private stamp = 0;

  constructor(
    readonly key: string,
    operations: readonly CheckedOperation[],
    readonly mode: ConflictMode,
  ) {
    // Ids follow invoke time (stable for ties): deterministic, and the order people read histories in.
    const inInvokeOrder = operations.filter((o) => o.isWrite).sort((a, b) => a.invoke.time - b.invoke.time);
    for (const operation of inInvokeOrder) {
      const value = operation.f === 'delete' ? null : operation.invoke.value;
      if (value !== null && typeof value !== 'string') {
        throw new Error(`history event ${operation.invoke.index}: ${operation.f} must write a single string value, got ${JSON.stringify(value)}`);
      }
      if (operation.outcome === 'fail') {
        if (value !== null) this.failedValues.add(value);
        continue;
      }
      const record: WriteRecord = {
        id: this.writes.length,
        operation,
        value,
        invokeTime: operation.invoke.time,
        okTime: operation.outcome === 'ok' ? (operation.completion as { time: number }).time : Number.POSITIVE_INFINITY,
        latestStampTime: operation.completion?.time ?? Number.POSITIVE_INFINITY,
        parents: [],
      };
      if (value !== null) {
        const previous = this.byValue.get(value);
        if (previous !== undefined) {
          throw new Error(`history events ${previous.operation.invoke.index} and ${operation.invoke.index}: value '${value}' written twice on key '${key}' (written values must be unique)`);
        }
        this.byValue.set(value, record);
      } else {
        this.deleteIds.push(record.id);
      }
      this.writes.push(record);
      this.children.push([]);
    }
    for (const record of this.writes) {
      const invoke = record.operation.invoke;
      const link = (parent: WriteRecord) => {
        if (parent.id === record.id || record.parents.includes(parent.id)) return;
        record.parents.push(parent.id);
        (this.children[parent.id] as number[]).push(record.id);
      };
      for (const value of invoke.context ?? []) {
        const parent = this.byValue.get(value);
        // A context value never written to this key (or written by a failed write) supersedes nothing.
        if (parent === undefined) continue;
        // A client can only pass back what it read, and it can only read a write already invoked. The fast
        // paths (acked-frontier.ts) rely on ancestors being invoked no later than their descendants.
        if (parent.invokeTime > invoke.time) {
          throw new Error(`history event ${invoke.index}: context names '${value}', whose write (event ${parent.operation.invoke.index}) was invoked later`);
        }
        link(parent);
      }
      // A cas's expected value is superseded too, when the client could have read it; a cas that happened to
      // expect a value written after it was invoked is left to the LWW rule / the linearizability checker.
      const expected = record.operation.f === 'cas' && typeof invoke.expected === 'string' ? this.byValue.get(invoke.expected) : undefined;
      if (expected !== undefined && expected.invokeTime <= invoke.time) link(expected);
    }
    this.marks = new Uint32Array(this.writes.length);
    let best = Number.NEGATIVE_INFINITY;
    for (const id of this.deleteIds) {
      const record = this.writes[id] as WriteRecord;
      best = Math.max(best, record.latestStampTime);
      this.deleteInvokes.push(record.invokeTime);
      this.deleteStampPrefixMax.push(best);
    }
  }

  /** Delete invoke times (ascending) and the running maximum of their latest stamp times: LWW's "latest delete" query. */
  private readonly deleteInvokes: number[] = [];
  private readonly deleteStampPrefixMax: number[] = [];

  /**
   * A cheap, sound-but-incomplete test: `true` only if the read certainly reflects `write` (same answer as
   * `reflected(explainers(...))` would give); `false` means "could not tell cheaply" and the caller must fall
   * back to the full computation. LWW is answered exactly in O(values + log deletes); vclock searches
   * forward from `write` through writes invoked before the read completed for a shown value or an explaining
   * delete, giving up after `cap` writes.
   */
  certainlyReflects(write: WriteRecord, values: readonly string[], readCompleteTime: number, cap = 64): boolean {
    if (write.value !== null && values.includes(write.value)) return true;
    if (this.mode === 'lww') {
      let bound = Number.NEGATIVE_INFINITY;
      if (values.length === 0) {
        // The latest-stamped delete invoked before the read completed (deletes are in invoke order).
        let lo = 0;
        let hi = this.deleteInvokes.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((this.deleteInvokes[mid] as number) <= readCompleteTime) lo = mid + 1;
          else hi = mid;
        }
        if (lo > 0) bound = this.deleteStampPrefixMax[lo - 1] as number;
      } else {
        for (const value of values) {
          const shown = this.byValue.get(value);
          if (shown !== undefined && shown.latestStampTime > bound) bound = shown.latestStampTime;
        }
      }
      return write.invokeTime <= bound;
    }
    // A delete D explains a non-empty read when no shown write is D's causal ancestor; ancestors are invoked
    // no later than their descendants, so a D invoked before every shown write certainly explains it.
    let earliestShown = Number.POSITIVE_INFINITY;
    for (const value of values) earliestShown = Math.min(earliestShown, this.byValue.get(value)?.invokeTime ?? Number.POSITIVE_INFINITY);
    const deleteExplains = (d: WriteRecord) => d.invokeTime <= readCompleteTime && (values.length === 0 || d.invokeTime < earliestShown);
    if (write.value === null) return deleteExplains(write);
    const seen = new Set<number>();
    const stack = [write.id];
    while (stack.length > 0) {
      for (const child of this.children[stack.pop() as number] as number[]) {
        const record = this.writes[child] as WriteRecord;
        if (seen.has(child) || record.invokeTime > readCompleteTime) continue;
        if (record.value === null) {
          if (deleteExplains(record)) return true;
        } else if (values.includes(record.value)) {
          return true;
        }
        if (seen.size >= cap) return false;
        seen.add(child);
        stack.push(child);
      }
    }
    return false;
  }

  /**
   * The deletes that may explain an empty read (completed at `readCompleteTime`) *and* reflect `write`: if the
   * read had to reflect `write`, it was showing one of these. vclock: `write` itself when it is a delete (nothing
   * names a delete, so nothing else supersedes it), else its causal descendants that are deletes. LWW: the
   * deletes that may have been stamped after `write` was invoked; a read reflects one of those exactly when it
   * reflects the one invoked first (a delete is reflected when invoked no later than the read's bound), so only
   * that one is returned.
   */
  deletesCovering(write: WriteRecord, readCompleteTime: number): WriteRecord[] {
    if (this.mode === 'lww') {
      for (const id of this.deleteIds) {
        const record = this.writes[id] as WriteRecord;
        if (record.invokeTime > readCompleteTime) break;
        if (record.latestStampTime >= write.invokeTime) return [record];
      }
      return [];
    }
    if (write.value === null) return write.invokeTime <= readCompleteTime ? [write] : [];
    const descendants = this.causalDescendants([write], readCompleteTime, Number.POSITIVE_INFINITY) as Set<number>;
    const deletes: WriteRecord[] = [];
    for (const id of descendants) {
      const record = this.writes[id] as WriteRecord;
      if (record.value === null) deletes.push(record);
    }
    return deletes;
  }

  writeOf(value: string): WriteRecord | undefined {
    return this.byValue.get(value);
  }

  /**
   * The writes whose effect `values` (a completed read) may be showing: puts/cases whose value it contains,
   * and deletes per the rule in the file comment. `readCompleteTime` bounds which deletes could be seen.
   */
  explainers(values: readonly string[], readCompleteTime: number): WriteRecord[] {
    const found: WriteRecord[] = [];
    for (const value of values) {
      const record = this.byValue.get(value);
      if (record !== undefined) found.push(record);
    }
    if (this.deleteIds.length === 0) return found;
    if (values.length === 0) {
      for (const id of this.deleteIds) {
        const record = this.writes[id] as WriteRecord;
        if (record.invokeTime <= readCompleteTime) found.push(record);
      }
    } else if (this.mode === 'vclock') {
      const descendants = this.causalDescendants(found);
      for (const id of this.deleteIds) {
        const record = this.writes[id] as WriteRecord;
        if (record.invokeTime <= readCompleteTime && !descendants.has(id)) found.push(record);
      }
    }
    return found;
  }

  /**
   * All writes reflected by a read whose explainers are `start`: the start set and everything it supersedes
   * (see the file comment for each mode). Returns a membership test valid until the next query.
   */
  reflected(start: readonly WriteRecord[]): (id: number) => boolean {
    const stamp = this.nextStamp();
    const marks = this.marks;
    if (this.mode === 'lww') {
      // W is reflected if some shown write may have been stamped after W was invoked: W.invoke ≤ latest stamp time.
      let bound = Number.NEGATIVE_INFINITY;
      for (const record of start) {
        marks[record.id] = stamp;
        if (record.latestStampTime > bound) bound = record.latestStampTime;
      }
      return (id: number) => marks[id] === stamp || (this.writes[id] as WriteRecord).invokeTime <= bound;
    }
    const stack: number[] = [];
    const visit = (id: number) => {
      if (marks[id] === stamp) return;
      marks[id] = stamp;
      stack.push(id);
    };
    for (const record of start) visit(record.id);
    while (stack.length > 0) {
      const record = this.writes[stack.pop() as number] as WriteRecord;
      for (const parent of record.parents) visit(parent);
    }
    return (id: number) => marks[id] === stamp;
  }

  /**
   * Writes that causally supersede any of `start` (transitively), excluding the start set itself. With
   * `maxInvokeTime`, only through writes invoked no later than it (descendants are invoked after their
   * ancestors, so a read can only be concerned with those invoked before it completed); with `cap`, gives
   * up (`undefined`) after that many.
   */
  causalDescendants(start: readonly WriteRecord[]): Set<number>;
  causalDescendants(start: readonly WriteRecord[], maxInvokeTime: number, cap: number): Set<number> | undefined;
  causalDescendants(start: readonly WriteRecord[], maxInvokeTime = Number.POSITIVE_INFINITY, cap = Number.POSITIVE_INFINITY): Set<number> | undefined {
    const seen = new Set<number>();
    const stack = start.map((r) => r.id);
    while (stack.length > 0) {
      const id = stack.pop() as number;
      for (const child of this.children[id] as number[]) {
        if (seen.has(child) || (this.writes[child] as WriteRecord).invokeTime > maxInvokeTime) continue;
        if (seen.size >= cap) return undefined;
        seen.add(child);
        stack.push(child);
      }
    }
    return seen;
  }

  /** Writes that `start` causally supersedes (transitively), excluding the start set itself unless reached. */
  causalAncestors(start: readonly WriteRecord[]): Set<number> {
    const seen = new Set<number>();
    const stack = start.map((r) => r.id);
    while (stack.length > 0) {
      const id = stack.pop() as number;
      for (const parent of (this.writes[id] as WriteRecord).parents) {
        if (!seen.has(parent)) {
          seen.add(parent);
          stack.push(parent);
        }
      }
    }
    return seen;
  }

  private nextStamp(): number {
    this.stamp++;
    if (this.stamp === 0xffffffff) {
      this.marks.fill(0);
      this.stamp = 1;
    }
    return this.stamp;
  }
}
