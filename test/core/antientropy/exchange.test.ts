import { describe, expect, it } from 'vitest';
import { bytes, SimCluster, type SimClusterOptions } from '../../../sim/cluster';
import { EventTag } from '../../../sim/simulator';
import { decodeMessage, encodeMessage, type Message } from '../../../core/replication/messages';
import { sharedRanges, sharedRangesByPeer, RangeSet } from '../../../core/antientropy/shared-ranges';
import { buildRing, keyPosition, preferenceList, rangeContains, utf8 } from '../../../core/ring';

/**
 * Merkle anti-entropy on the simulator. Read repair and hinted handoff are both switched off, and nothing reads
 * the keys, so the only way a replica that missed writes can catch up is an anti-entropy exchange.
 */

/** No hints, no read repair, no stand-ins: a missed write stays missed unless anti-entropy finds it. */
function cluster(seed: number, antiEntropyIntervalMicros: number, extra: Partial<SimClusterOptions> = {}): SimCluster {
  return new SimCluster({ seed, nodes: 5, vnodes: 16, hintedHandoff: false, readRepair: false, sloppyQuorum: false, antiEntropyIntervalMicros, ...extra });
}

/**
 * Issues every write at once and runs until all are answered. Each goes straight to an owner other than
 * `avoid`, which coordinates it (a non-owner would forward to the first owner, possibly the cut-off one).
 */
function writeAll(c: SimCluster, entries: [string, string][], avoid: string): void {
  let pending = entries.length;
  entries.forEach(([key, value]) =>
    c.put(c.owners(key).find((owner) => owner !== avoid)!, key, value, {}, (result) => {
      expect(result.status, `put ${key}`).toBe('ok');
      pending--;
    }),
  );
  c.await<void>((done) => {
    const poll = () => (pending === 0 ? done() : c.simulator.schedule(1_000, EventTag.Control, poll));
    poll();
  });
}

/** Owner copies that do not hold exactly the expected value. */
function behind(c: SimCluster, expected: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [key, values] of expected) {
    for (const owner of c.owners(key)) if (JSON.stringify(c.localValues(owner, key)) !== JSON.stringify(values)) out.push(`${owner}:${key}`);
  }
  return out;
}

function totals(c: SimCluster) {
  const sum = { exchanges: 0, compared: 0, sent: 0, repaired: 0 };
  for (const id of c.ids) {
    const k = c.node(id)!.counters;
    sum.exchanges += k.antiEntropyExchanges;
    sum.compared += k.antiEntropyKeysCompared;
    sum.sent += k.antiEntropyKeysSent;
    sum.repaired += k.antiEntropyKeysRepaired;
  }
  return sum;
}

/** 400 keys everywhere, then 60 more while n4 is cut off; heal; then `after` µs with nobody reading. */
function partitionedOwner(antiEntropyIntervalMicros: number, after: number) {
  const c = cluster(21, antiEntropyIntervalMicros);
  const expected = new Map<string, string[]>();
  const before = Array.from({ length: 400 }, (_, i): [string, string] => [`old-${i}`, `v${i}`]);
  writeAll(c, before, '');
  before.forEach(([k, v]) => expected.set(k, [v]));
  c.network.partition([['n4']]);
  const during = Array.from({ length: 60 }, (_, i): [string, string] => [`new-${i}`, `w${i}`]);
  writeAll(c, during, 'n4');
  during.forEach(([k, v]) => expected.set(k, [v]));
  const missedByN4 = during.filter(([k]) => c.owners(k).includes('n4')).length;
  c.network.heal();
  c.advance(after);
  return { c, expected, missedByN4 };
}

describe('anti-entropy repairs replicas nobody reads', () => {
  it('switched off: the owner cut off during the writes stays behind after the heal (no hints, no reads)', () => {
    const { c, expected, missedByN4 } = partitionedOwner(0, 30_000_000);
    expect(missedByN4).toBeGreaterThan(10);
    const stale = behind(c, expected);
    expect(stale.length).toBe(missedByN4);
    expect(stale.every((s) => s.startsWith('n4:new-'))).toBe(true);
    expect(totals(c).exchanges).toBe(0);
  });

  it('switched on: after a few intervals every owner holds every value, and only differing keys travel', () => {
    const { c, expected, missedByN4 } = partitionedOwner(1_000_000, 30_000_000);
    expect(behind(c, expected)).toEqual([]);
    const t = totals(c);
    expect(t.repaired).toBe(missedByN4);
    // Trees summarised thousands of keys; the exchanges shipped sibling sets for only the ones that differed
    // (each missed key travels once to n4, and at most once back as "you are up to date" is not sent).
    expect(t.compared).toBeGreaterThan(20 * t.sent);
    expect(t.sent).toBeGreaterThanOrEqual(missedByN4);
    expect(t.sent).toBeLessThanOrEqual(3 * missedByN4);
    // Nothing read the keys, so this was not read repair.
    for (const id of c.ids) expect(c.node(id)!.counters.readRepairs).toBe(0);
  });

  it('a write acknowledged by one replica only (its replica writes never left) reaches the other owners', () => {
    for (const interval of [0, 1_000_000]) {
      const c = cluster(22, interval, { w: 1 });
      const key = 'lonely';
      const [first, ...others] = c.owners(key) as [string, ...string[]];
      // The coordinator can hear, not speak: it fsyncs its own copy, acknowledges W=1, and its replica writes die.
      c.network.blockOneWay([first], c.ids.filter((id) => id !== first));
      expect(c.awaitPut(first, key, 'only-on-first').status).toBe('ok');
      c.crash(first);
      c.restart(first);
      c.network.heal();
      c.advance(20_000_000);
      const held = others.map((owner) => c.localValues(owner, key));
      if (interval === 0) expect(held).toEqual(others.map(() => []));
      else expect(held).toEqual(others.map(() => ['only-on-first']));
      expect(c.localValues(first, key)).toEqual(['only-on-first']);
    }
  });

  it('same seed → same exchanges, counters and trace', () => {
    const run = () => {
      const { c } = partitionedOwner(1_000_000, 10_000_000);
      return { totals: totals(c), trace: c.simulator.traceHash() };
    };
    expect(run()).toEqual(run());
  });
});

describe('anti-entropy never loses or resurrects anything', () => {
  it('deletes and overwrites made while an owner was away win over its old copies, through a crash', () => {
    const c = cluster(23, 1_000_000);
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    writeAll(c, keys.map((k): [string, string] => [k, `old-${k}`]), '');
    c.network.partition([['n4']]);
    const deleted = keys.slice(0, 20);
    const overwritten = keys.slice(20, 40);
    const via = (key: string) => c.owners(key).find((owner) => owner !== 'n4')!;
    for (const key of deleted) expect(c.awaitDelete(via(key), key, { context: c.awaitGet(via(key), key).context }).status).toBe('ok');
    for (const key of overwritten) expect(c.awaitPut(via(key), key, `new-${key}`, { context: c.awaitGet(via(key), key).context }).status).toBe('ok');
    // A crash (losing unsynced bytes) on an up-to-date owner and on the stale one, mid-way through repairs.
    c.network.heal();
    c.advance(1_500_000);
    c.crash('n0', 'tear-unsynced');
    c.crash('n4', 'tear-unsynced');
    c.advance(500_000);
    c.restart('n0');
    c.restart('n4');
    c.advance(30_000_000);
    for (const key of keys) {
      for (const owner of c.owners(key)) {
        const values = c.localValues(owner, key);
        if (deleted.includes(key)) {
          expect(values, `${owner}:${key} stays deleted`).toEqual([]);
          // The tombstone itself is what travelled: a version marked deleted, not a missing record.
          expect(c.node(owner)!.localSiblings(bytes(key)).versions.some((v) => v.deleted)).toBe(true);
        } else if (overwritten.includes(key)) expect(values, `${owner}:${key}`).toEqual([`new-${key}`]);
        else expect(values, `${owner}:${key}`).toEqual([`old-${key}`]);
      }
    }
    expect(totals(c).repaired).toBeGreaterThan(0);
    // And a quorum read agrees (reads come last, so they could not have done the repairing).
    for (const key of deleted) expect(c.awaitGet('n2', key, { r: 3 }).strings).toEqual([]);
    for (const key of overwritten) expect(c.awaitGet('n2', key, { r: 3 }).strings).toEqual([`new-${key}`]);
  });
});

describe('exchange scope and wire format', () => {
  it('two replicas compare exactly the arcs both replicate, computed the same from either side', () => {
    const ring = buildRing(['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })), { kind: 'random-tokens', vnodes: 16 });
    for (const [peer, arcs] of sharedRangesByPeer(ring, 'a', 3)) {
      expect(sharedRanges(ring, peer, 'a', 3)).toHaveLength(arcs.length);
      const set = new RangeSet(arcs);
      for (let i = 0; i < 2000; i++) {
        const position = keyPosition(utf8(`key-${i}`));
        const owners = preferenceList(ring, utf8(`key-${i}`), 3);
        expect(set.contains(position), `key-${i}`).toBe(owners.includes('a') && owners.includes(peer));
        expect(arcs.some((arc) => rangeContains(arc, position))).toBe(set.contains(position));
      }
    }
  });

  it('AeDigests and AeSets round-trip through the message codec; lying counts are rejected', () => {
    const messages: Message[] = [
      { type: 'ae-digests', requestId: 7, fromInitiator: true, fanoutBits: 4, depth: 3, level: 2, indices: [0, 17, 255], digests: new Uint32Array([1, 2, 3, 4, 0xffffffff, 6]) },
      { type: 'ae-digests', requestId: 8, fromInitiator: false, fanoutBits: 4, depth: 3, level: 1, indices: [], digests: new Uint32Array(0) },
      { type: 'ae-sets', requestId: 9, fromInitiator: false, last: true, leaves: [3, 4095], entries: [{ key: bytes('k'), siblings: new Uint8Array([1, 2, 3]) }] },
    ];
    for (const message of messages) expect(decodeMessage(encodeMessage(message))).toEqual(message);
    const lying = encodeMessage(messages[0]!).slice(0, 12);
    expect(() => decodeMessage(lying)).toThrow(/claims 3 digests/);
  });
});
