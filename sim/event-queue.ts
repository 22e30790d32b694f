/**
 * The simulator's event queue: a binary min-heap ordered by (time, sequence).
 *
 * Ties in virtual time are broken by the sequence number assigned at scheduling, so two events due at the
 * same microsecond always run in the order they were scheduled. The comparator is therefore total, and the
 * order never depends on heap internals — a requirement for byte-identical replays.
 *
 * The keys live in two typed arrays beside the events, so sifting compares numbers in contiguous memory
 * instead of loading two event objects per comparison (a 500-node run keeps tens of thousands of events
 * pending, and the heap walk was one of the kernel's largest costs).
 */
export interface QueuedEvent {
  /** Virtual time in microseconds at which the event runs. */
  readonly at: number;
  /** Scheduling order; unique per queue. */
  readonly sequence: number;
}

export class EventQueue<E extends QueuedEvent> {
  private events: (E | undefined)[] = [];
  private ats = new Float64Array(1024);
  private sequences = new Float64Array(1024);
  private length = 0;

  get size(): number {
    return this.length;
  }

  push(event: E): void {
    if (this.length === this.ats.length) this.grow();
    const ats = this.ats;
    const sequences = this.sequences;
    const events = this.events;
    const at = event.at;
    const sequence = event.sequence;
    let index = this.length++;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentAt = ats[parent]!;
      if (parentAt < at || (parentAt === at && sequences[parent]! < sequence)) break;
      events[index] = events[parent];
      ats[index] = parentAt;
      sequences[index] = sequences[parent]!;
      index = parent;
    }
    events[index] = event;
    ats[index] = at;
    sequences[index] = sequence;
  }

  peek(): E | undefined {
    return this.length === 0 ? undefined : this.events[0];
  }

  /** Time of the earliest event, without touching the event object; only meaningful when `size` > 0. */
  peekAt(): number {
    return this.ats[0]!;
  }

  pop(): E | undefined {
    if (this.length === 0) return undefined;
    const events = this.events;
    const top = events[0];
    const length = --this.length;
    const last = events[length];
    events[length] = undefined; // do not keep a run's worth of finished events reachable
    if (length === 0) return top;
    const ats = this.ats;
    const sequences = this.sequences;
    const lastAt = ats[length]!;
    const lastSequence = sequences[length]!;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      let childAt = ats[left]!;
      if (right < length) {
        const rightAt = ats[right]!;
        if (rightAt < childAt || (rightAt === childAt && sequences[right]! < sequences[left]!)) {
          child = right;
          childAt = rightAt;
        }
      }
      if (lastAt < childAt || (lastAt === childAt && lastSequence < sequences[child]!)) break;
      events[index] = events[child];
      ats[index] = childAt;
      sequences[index] = sequences[child]!;
      index = child;
    }
    events[index] = last;
    ats[index] = lastAt;
    sequences[index] = lastSequence;
    return top;
  }

  private grow(): void {
    const ats = new Float64Array(this.ats.length * 2);
    ats.set(this.ats);
    this.ats = ats;
    const sequences = new Float64Array(this.sequences.length * 2);
    sequences.set(this.sequences);
    this.sequences = sequences;
  }
}
