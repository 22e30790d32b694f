import { describe, expect, it } from 'vitest';
import { ReadRequest, type ReadOutcome } from '../../../core/replication/read-coordinator';
import { emptySet } from '../../../core/versioning/sibling-set';

describe('ReadRequest', () => {
  it('counts a reply of the other conflict mode as silent instead of throwing when it merges', () => {
    // A member configured with conflict: lww in a vclock cluster answered reads with lww sets; merging one
    // threw from the read's timeout timer and took the real node down.
    const outcomes: ReadOutcome[] = [];
    const read = new ReadRequest(1, 2, 'dvv', [], (outcome) => outcomes.push(outcome), () => {});
    for (const node of ['a', 'b', 'c']) read.asking(node);
    read.reply('a', emptySet('dvv'));
    read.reply('b', emptySet('lww'));
    expect(outcomes).toEqual([]);
    read.timeout(500_000);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 'fail', replies: 1 });
    expect(read.silent()).toEqual(['b', 'c']);
  });
});
