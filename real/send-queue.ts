/**
 * The messages waiting for one peer, bounded both by count and by total bytes.
 *
 * When a push would exceed either bound, the *oldest* messages are dropped until the new one fits. Why the
 * oldest: the core's protocols are request/timeout based, so a message that has waited longest is the one
 * most likely to be useless by the time it arrives (its sender has already timed out and retried), while
 * the newest one carries the freshest state. Every drop is counted; the transport is best-effort by contract
 * and the counters are how an operator sees that it was.
 *
 * A single message larger than `maxBytes` is refused outright (returned as not accepted) rather than
 * flushing the whole queue to make room for something that can never fit.
 */
export interface SendQueueLimits {
  maxMessages: number;
  maxBytes: number;
}

export interface PushResult {
  accepted: boolean;
  /** How many older messages were evicted to make room. */
  dropped: number;
}

export class SendQueue {
  // A plain array with a moving head: shift() on a long array is O(n), and a down peer's queue can be long.
  private items: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly limits: SendQueueLimits) {
    if (!(limits.maxMessages >= 1) || !(limits.maxBytes >= 1)) {
      throw new RangeError(`queue limits must be >= 1, got ${limits.maxMessages} messages / ${limits.maxBytes} bytes`);
    }
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  push(message: Uint8Array): PushResult {
    if (message.length > this.limits.maxBytes) return { accepted: false, dropped: 0 };
    let dropped = 0;
    while (
      this.length > 0 &&
      (this.length + 1 > this.limits.maxMessages || this.bytes + message.length > this.limits.maxBytes)
    ) {
      this.shift();
      dropped++;
    }
    this.items.push(message);
    this.bytes += message.length;
    return { accepted: true, dropped };
  }

  peek(): Uint8Array | undefined {
    return this.items[this.head];
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const message = this.items[this.head]!;
    this.items[this.head] = EMPTY;
    this.head++;
    this.bytes -= message.length;
    // Compact once the dead prefix dominates, so memory stays proportional to what is queued.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return message;
  }

  /** Empties the queue and returns how many messages were discarded. */
  clear(): number {
    const discarded = this.length;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return discarded;
  }
}

const EMPTY = new Uint8Array(0);
