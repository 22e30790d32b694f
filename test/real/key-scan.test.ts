import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MessageDecodeError, type Message } from '../../core/replication/messages';
import type { ScanResult } from '../../core/node';
import { bytes, SimCluster, text } from '../../sim/cluster';

// The prefix scan (key-scan / key-scan-reply) was added for real mode's GET /v1/keys?prefix=; it is core
// code, so it is checked here on the simulator, where the answer is deterministic.

describe('prefix scan (scatter-gather over every member)', () => {
  it('round-trips the two new messages and rejects a lying key count', () => {
    const scan = { type: 'key-scan', requestId: 9, prefix: bytes('user:'), limit: 50 } as const;
    expect(decodeMessage(encodeMessage(scan))).toEqual(scan);
    const reply: Message = { type: 'key-scan-reply', requestId: 9, truncated: true, keys: [bytes('a'), new Uint8Array([0, 255])] };
    expect(decodeMessage(encodeMessage(reply))).toEqual(reply);
    const lying = encodeMessage({ type: 'key-scan-reply', requestId: 1, truncated: false, keys: [] });
    lying[lying.length - 1] = 100; // count = 100 with no bytes behind it
    expect(() => decodeMessage(lying)).toThrow(MessageDecodeError);
  });

  it('lists live keys under a prefix from any node, without deleted ones, and reports silent members', () => {
    const cluster = new SimCluster({ seed: 11, nodes: 5 });
    for (let i = 0; i < 20; i++) expect(cluster.awaitPut(`n${i % 5}`, `user:${String(i).padStart(2, '0')}`, `v${i}`).status).toBe('ok');
    cluster.awaitPut('n0', 'other:1', 'x');
    // A delete supersedes only what its context has seen (a blind delete would leave a concurrent sibling).
    cluster.awaitDelete('n1', 'user:03', { context: cluster.awaitGet('n1', 'user:03').context });
    cluster.advance(1_000_000);
    const scan = (via: string, prefix: string, limit?: number) =>
      cluster.await<ScanResult>((done) => cluster.node(via)!.scanKeys(bytes(prefix), limit === undefined ? {} : { limit }, done));
    const all = scan('n4', 'user:');
    expect(all.answered).toBe(5);
    expect(all.missing).toEqual([]);
    const expected = Array.from({ length: 20 }, (_, i) => `user:${String(i).padStart(2, '0')}`).filter((k) => k !== 'user:03');
    expect(all.keys.map(text)).toEqual(expected);
    const limited = scan('n2', 'user:', 5);
    expect(limited.keys.map(text)).toEqual(expected.slice(0, 5));
    expect(limited.truncated).toBe(true);

    cluster.crash('n3');
    const partial = scan('n0', '');
    expect(partial.answered).toBe(4);
    expect(partial.missing).toEqual(['n3']);
    // N=3 over 5 nodes: every key still has a live replica among the four that answered.
    expect(partial.keys.map(text)).toEqual([...expected, 'other:1'].sort());
  });

  it("a listing cut at one member's byte budget ends at that member's last key: no holes past it", () => {
    // Each key on one node (N=1): a member that stops early leaves the keys only it held beyond its cut out of
    // the union, and the others' later keys made a list with holes (found by a review of the budget).
    const cluster = new SimCluster({ seed: 4, nodes: 3, n: 1, r: 1, w: 1, listingReplyBytes: 60 });
    const all: string[] = [];
    for (let i = 0; i < 30; i++) {
      const key = `item:${String(i).padStart(3, '0')}`;
      expect(cluster.awaitPut('n0', key, 'v').status).toBe('ok');
      all.push(key);
    }
    const listed = cluster.await<ScanResult>((done) => cluster.node('n0')!.scanKeys(bytes('item:'), { limit: 1000 }, done));
    expect(listed.truncated).toBe(true);
    const keys = listed.keys.map(text);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.length).toBeLessThan(30);
    // A prefix of the true list, without holes.
    expect(keys).toEqual(all.slice(0, keys.length));
  });

  it("a member's reply stops at 4 MiB of keys (truncated), so it always fits a frame", () => {
    // 100 000 keys of 256 bytes encode to ~26 MB, over real mode's 16 MiB frames: the whole reply was dropped
    // and the member listed as missing (transport review). 17 000 keys of 250 bytes pass the 4 MiB budget.
    const cluster = new SimCluster({ seed: 3, nodes: 1, n: 1, r: 1, w: 1 });
    const node = cluster.node('n0')!;
    for (let i = 0; i < 17_000; i++) node.put(bytes(`k${String(i).padStart(6, '0')}`.padEnd(250, 'x')), bytes('v'), {}, () => {});
    cluster.advance(2_000_000);
    const listed = cluster.await<ScanResult>((done) => node.scanKeys(bytes('k'), { limit: 100_000 }, done));
    expect(listed.truncated).toBe(true);
    expect(listed.keys.length).toBeGreaterThan(15_000);
    expect(listed.keys.length).toBeLessThan(17_000);
    const reply = encodeMessage({ type: 'key-scan-reply', requestId: 1, truncated: true, keys: listed.keys });
    expect(reply.length).toBeLessThanOrEqual(4 * 1024 * 1024 + 64);
  });
});
