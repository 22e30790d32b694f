import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Message } from '../../../core/replication/messages';
import { SimCluster } from '../../../sim/cluster';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A node checks a forwarded write (a `coordinate` message) as the entry node did: a peer with other settings
 * (a larger n) or a bug must get a refusal, not make the handler throw (found by a review: w=0 from a peer threw
 * a RangeError out of the message handler — in the simulator, out of the whole run).
 */
describe('a forwarded write the entry node should not have sent', () => {
  it('is refused with a reply naming the problem, and the node keeps serving', () => {
    const cluster = new SimCluster({ seed: 4, nodes: 3 });
    const sender = cluster.world.machine('n0');
    const replies: Message[] = [];
    sender.transport.onMessage((_from, message) => replies.push(decodeMessage(message)));
    const base = { type: 'coordinate' as const, op: 'put' as const, key: bytes('k'), value: bytes('v'), context: new Uint8Array(0), ttlMicros: 0, expectedContext: null };
    sender.transport.send('n1', encodeMessage({ ...base, requestId: 1, w: 0 }));
    sender.transport.send('n1', encodeMessage({ ...base, requestId: 2, w: 9 }));
    sender.transport.send('n1', encodeMessage({ ...base, requestId: 3, w: 2, key: new Uint8Array(300) }));
    cluster.advance(100_000);
    const answers = replies.filter((m) => m.type === 'coordinate-reply');
    expect(answers.map((m) => [m.requestId, m.status, m.code])).toEqual([
      [1, 'fail', 'bad-request'],
      [2, 'fail', 'bad-request'],
      [3, 'fail', 'key-too-large'],
    ]);
    expect(answers[0]!.type === 'coordinate-reply' && answers[0]!.error).toMatch(/w=0 must be between 1 and n=3/);
    expect(cluster.awaitPut('n1', 'k', 'v').status).toBe('ok');
  });
});
