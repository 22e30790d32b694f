import { describe, expect, it } from 'vitest';
import { WriteRequest, type WriteOutcome } from '../../../core/replication/write-coordinator';

/** A write at W = `w` sent to n0, n1, n2 (no stand-ins); returns the request and where its outcome lands. */
function writeTo(w: number): { request: WriteRequest; outcome: () => WriteOutcome | undefined } {
  let outcome: WriteOutcome | undefined;
  const request = new WriteRequest(1, w, [], (o) => (outcome = o));
  for (const node of ['n0', 'n1', 'n2']) request.asking({ node, hintFor: '' });
  return { request, outcome: () => outcome };
}

describe('write coordinator outcome', () => {
  it('one refusal at W = N makes the quorum impossible, but with replicas still silent the outcome is unknown', () => {
    // Found by a real-mode review: n1's full disk refused at once and the client heard "failed, 0 acks" while n0
    // and n2 went on to store the write (20 of 20 such writes were readable afterwards).
    const { request, outcome } = writeTo(3);
    request.reply('n1', false, 'disk append failed: ENOSPC');
    expect(outcome()?.status).toBe('info');
    expect(outcome()?.error).toMatch(/0 of W=3 acknowledged; 1 refused \(n1: disk append failed: ENOSPC\); no answer yet from n0, n2, so the outcome is unknown/);
  });

  it('with fewer replicas asked than W (the others suspected down), says so instead of "0 refused ()"', () => {
    let outcome: WriteOutcome | undefined;
    const request = new WriteRequest(1, 2, [], (o) => (outcome = o));
    request.asking({ node: 'n0', hintFor: '' });
    request.reply('n0', true, '');
    expect(outcome?.error).toBe('quorum not met: 1 of W=2 acknowledged; only 1 replica was asked (the others are suspected down)');
  });

  it('is failed only when every replica asked refused', () => {
    const { request, outcome } = writeTo(1);
    request.reply('n0', false, 'storage failed');
    request.reply('n1', false, 'storage failed');
    expect(outcome()).toBeUndefined();
    request.reply('n2', false, 'storage failed');
    expect(outcome()?.status).toBe('fail');
    expect(outcome()?.error).toMatch(/3 refused \(n0: storage failed; n1: storage failed; n2: storage failed\)$/);
  });

  it('a timeout names the replicas that never answered and why others refused', () => {
    const { request, outcome } = writeTo(2);
    request.reply('n0', true, '');
    request.reply('n1', false, 'busy');
    expect(outcome()).toBeUndefined();
    request.timeout(500_000);
    expect(outcome()).toMatchObject({ status: 'info', acks: 1 });
    expect(outcome()?.error).toBe('quorum not met: 1 of W=2 replicas acknowledged within 500 ms (no answer from n2; refused: n1: busy)');
  });
});
