import { describe, expect, it } from 'vitest';
import { AntiEntropy, type AntiEntropyCounters } from '../../../core/antientropy/exchange';
import type { Clock } from '../../../core/env';
import { decodeMessage, encodeMessage, type AeDigestsMessage, type AeSetsMessage } from '../../../core/replication/messages';
import { buildRing, utf8 } from '../../../core/ring';
import { decodeSiblingSet, EMPTY_CONTEXT, emptySet, encodeSiblingSet, etag, merge, update, type SiblingSet } from '../../../core/versioning';
import { SeededRandom } from '../../../sim/random';

/**
 * The exchange on its own, between two in-memory replicas wired back to back (no simulator, no disk): the
 * key budget bounds every message, and repeated exchanges still finish the job.
 */
type Wire = AeDigestsMessage | AeSetsMessage;

class Replica {
  readonly data = new Map<string, { key: Uint8Array; set: SiblingSet }>();
  readonly counters: AntiEntropyCounters = { antiEntropyExchanges: 0, antiEntropyKeysCompared: 0, antiEntropyKeysSent: 0, antiEntropyKeysRepaired: 0, malformedMessages: 0 };
  readonly sent: Wire[] = [];
  readonly ae: AntiEntropy;

  constructor(readonly id: string, outbox: { from: string; to: string; message: Wire }[], keyBudget: number) {
    const ring = buildRing([{ id: 'a' }, { id: 'b' }], { kind: 'random-tokens', vnodes: 8 });
    let timers = 0;
    const clock: Clock = { nowMicros: () => 0, setTimer: () => ++timers, cancelTimer: () => {} };
    this.ae = new AntiEntropy(
      {
        self: id, ring, n: 2, clock, random: new SeededRandom(`budget/${id}`), counters: this.counters,
        send: (to, message) => {
          this.sent.push(message);
          outbox.push({ from: id, to, message });
        },
        records: () => [...this.data.values()].map(({ key, set }) => ({ key, siblings: encodeSiblingSet(set) })),
        load: (key) => this.data.get(text(key))?.set ?? emptySet('dvv'),
        store: (key, set) => this.data.set(text(key), { key, set: merge(this.data.get(text(key))?.set ?? emptySet('dvv'), set) }),
        isSuspected: () => false,
      },
      { intervalMicros: 0, keyBudget },
    );
  }

  write(key: string, value: string, actor: string): void {
    const current = this.data.get(key)?.set ?? emptySet('dvv');
    this.data.set(key, { key: utf8(key), set: update(current, EMPTY_CONTEXT, { value: utf8(value), timestampMicros: 1 }, actor) });
  }
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function pair(keyBudget: number) {
  const outbox: { from: string; to: string; message: Wire }[] = [];
  const a = new Replica('a', outbox, keyBudget);
  const b = new Replica('b', outbox, keyBudget);
  const deliver = () => {
    for (let guard = 0; outbox.length > 0; guard++) {
      if (guard > 1000) throw new Error('exchange does not terminate');
      const { from, to, message } = outbox.shift()!;
      // Through the wire codec, as on a real link.
      (to === 'a' ? a : b).ae.receive(from, decodeMessage(encodeMessage(message)) as Wire);
    }
  };
  return { a, b, deliver };
}

function agree(a: Replica, b: Replica): boolean {
  const keys = new Set([...a.data.keys(), ...b.data.keys()]);
  return [...keys].every((k) => a.data.has(k) && b.data.has(k) && etag(a.data.get(k)!.set) === etag(b.data.get(k)!.set));
}

describe('anti-entropy exchange, back to back', () => {
  it('identical replicas: one root digest each way, nothing else', () => {
    const { a, b, deliver } = pair(16);
    for (let i = 0; i < 100; i++) {
      a.write(`k${i}`, `v${i}`, 'x#1');
    }
    for (const [k, v] of a.data) b.data.set(k, { key: v.key, set: decodeSiblingSet(encodeSiblingSet(v.set)) });
    expect(a.ae.runOnce()).toBe(true);
    deliver();
    expect(a.sent.map((m) => m.type)).toEqual(['ae-digests']);
    expect(b.sent).toEqual([expect.objectContaining({ type: 'ae-digests', indices: [] })]);
    expect(a.ae.busy).toBe(false);
    expect(a.counters.antiEntropyKeysCompared).toBe(100);
  });

  it('the key budget bounds every AeSets message; repeated exchanges converge both ways', () => {
    const budget = 8;
    const { a, b, deliver } = pair(budget);
    for (let i = 0; i < 200; i++) {
      a.write(`shared-${i}`, 'same', 'x#1');
      b.data.set(`shared-${i}`, { key: utf8(`shared-${i}`), set: a.data.get(`shared-${i}`)!.set });
    }
    for (let i = 0; i < 30; i++) a.write(`only-a-${i}`, 'a', 'a#1');
    for (let i = 0; i < 30; i++) b.write(`only-b-${i}`, 'b', 'b#1');
    for (let i = 0; i < 10; i++) b.write(`shared-${i}`, 'newer-on-b', 'b#1'); // concurrent: siblings after merge
    let exchanges = 0;
    while (!agree(a, b)) {
      expect(exchanges++, 'exchanges needed').toBeLessThan(40);
      expect((exchanges % 2 === 0 ? a : b).ae.runOnce()).toBe(true);
      deliver();
    }
    // 70 differing keys at ≤ 8 per message need several exchanges; none carried more than the budget.
    expect(exchanges).toBeGreaterThan(4);
    for (const message of [...a.sent, ...b.sent]) if (message.type === 'ae-sets') expect(message.entries.length).toBeLessThanOrEqual(budget);
    // Concurrent versions became siblings on both sides, nothing was dropped.
    expect(a.data.get('shared-3')!.set.versions.map((v) => text(v.value)).sort()).toEqual(['newer-on-b', 'same']);
    const sent = a.counters.antiEntropyKeysSent + b.counters.antiEntropyKeysSent;
    expect(sent).toBeLessThan(200);
  });
});
