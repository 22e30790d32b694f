/**
 * The simulator's event queue: a binary min-heap ordered by (time, sequence).
 *
 * Ties in virtual time are broken by the sequence number assigned at scheduling, so two events due at the
 * same microsecond always run in the order they were scheduled. The comparator is therefore total, and the
 * order never depends on heap internals — a requirement for byte-identical replays.
 */
export interface QueuedEvent {
  /** Virtual time in microseconds at which the event runs. */
  readonly at: number;
  /** Scheduling order; unique per queue. */
  readonly sequence: number;
}

export class EventQueue<E extends QueuedEvent> {
  private readonly heap: E[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: E): void {
    const heap = this.heap;
    heap.push(event);
    let index = heap.length - 1;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!precedes(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
  }

  peek(): E | undefined {
    return this.heap[0];
  }

  pop(): E | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (heap.length === 0) return top;
    const length = heap.length;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && precedes(heap[right]!, heap[left]!)) child = right;
      if (!precedes(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
    return top;
  }
}

function precedes(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.sequence < b.sequence);
}
