import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../../sim/cluster';
import type { WriteResult } from '../../../core/node';

// Conditional writes of one key meet at its first healthy owner and run there one at a time, so of several
// racing on one etag exactly one wins. Before, each entry node coordinated its own and several won (a review:
// up to 15 of 24 racing clients, no fault).
describe('conditional writes racing on one etag', () => {
  it('exactly one wins, whichever nodes they enter through; the rest get conflict', () => {
    const cluster = new SimCluster({ seed: 9, nodes: 5 });
    expect(cluster.awaitPut('n0', 'lease', 'initial').status).toBe('ok');
    const { etag } = cluster.awaitGet('n3', 'lease');
    const results: WriteResult[] = [];
    for (let i = 0; i < 20; i++) cluster.cas(cluster.ids[i % 5]!, 'lease', `holder-${i}`, etag, {}, (result) => results.push(result));
    cluster.advance(3_000_000);
    expect(results).toHaveLength(20);
    const winners = results.filter((r) => r.status === 'ok');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.code === 'conflict')).toHaveLength(19);
    expect(cluster.awaitGet('n1', 'lease', { r: 3 }).strings).toHaveLength(1); // one holder, no siblings
  });

  it('with the first owner down, the next healthy owner takes the turn: still a single winner', () => {
    const cluster = new SimCluster({ seed: 10, nodes: 5 });
    expect(cluster.awaitPut('n0', 'lease', 'initial').status).toBe('ok');
    const first = cluster.owners('lease')[0]!;
    cluster.crash(first);
    const entries = cluster.ids.filter((id) => id !== first);
    // Every entry node learns that the first owner is gone (a write it leaves unanswered), then they race.
    for (const id of entries) cluster.awaitPut(id, `warm-${id}`, 'x');
    for (const id of entries) cluster.awaitPut(id, 'lease', 'second', { context: cluster.awaitGet(id, 'lease').context });
    cluster.advance(2_000_000);
    const { etag } = cluster.awaitGet(entries[0]!, 'lease');
    const results: WriteResult[] = [];
    for (let i = 0; i < 12; i++) cluster.cas(entries[i % entries.length]!, 'lease', `holder-${i}`, etag, {}, (result) => results.push(result));
    cluster.advance(5_000_000);
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
  });

  // Found by a review of the first version of this rule.
  it('a burst on one key is answered within the deadline, never makes its healthy coordinator suspected, and one etag still has one winner', () => {
    const cluster = new SimCluster({ seed: 3, nodes: 5, machine: () => ({ disk: { syncLatency: { kind: 'fixed', ms: 15 } } }) });
    cluster.advance(200_000);
    cluster.awaitPut('n0', 'lease', 'initial');
    const first = cluster.owners('lease')[0]!;
    let other = '';
    for (let i = 0; other === ''; i++) if (cluster.owners(`lock${i}`)[0] === first) other = `lock${i}`;
    cluster.awaitPut('n0', other, 'initial');
    const { etag } = cluster.awaitGet(first, other, { r: 3 });
    const entries = cluster.ids.filter((id) => id !== first);
    const burst: WriteResult[] = [];
    // 'put if it has a value' always matches, so every turn at the first owner writes and fsyncs (15 ms).
    for (let i = 0; i < 100; i++) cluster.cas(entries[i % entries.length]!, 'lease', `burst-${i}`, '*', {}, (r) => burst.push(r));
    cluster.advance(1_500_000);
    const race: WriteResult[] = [];
    for (let i = 0; i < 20; i++) cluster.cas(cluster.ids[i % 5]!, other, `race-${i}`, etag, {}, (r) => race.push(r));
    cluster.advance(8_000_000);
    expect(burst).toHaveLength(100);
    expect(burst.filter((r) => r.status === 'info')).toHaveLength(0); // no forward timed out
    expect(burst.filter((r) => r.status === 'fail').every((r) => /busy: this conditional write waited \d+ ms/.test(r.error))).toBe(true);
    expect(race.filter((r) => r.status === 'ok')).toHaveLength(1);
    expect(cluster.awaitGet(first, other, { r: 3 }).strings).toHaveLength(1);
  });

  it('a read fault in the middle of a turn ends it with an answer, and later conditional writes of the key still run', () => {
    const cluster = new SimCluster({ seed: 9, nodes: 5 });
    cluster.awaitPut('n0', 'lease', 'initial');
    const first = cluster.owners('lease')[0]!;
    const node = cluster.node(first)! as unknown as { loadStored: (key: Uint8Array) => unknown };
    const { etag } = cluster.awaitGet(first, 'lease', { r: 3 });
    const loadStored = node.loadStored.bind(node);
    let faults = 1;
    node.loadStored = (key) => {
      if (faults-- > 0) throw new Error('EIO injected');
      return loadStored(key);
    };
    const results: WriteResult[] = [];
    cluster.cas(first, 'lease', 'a', etag, {}, (r) => results.push(r));
    cluster.advance(3_000_000);
    // The fault hits before anything is sent or stored, so the answer is a certain "not applied".
    expect(results.map((r) => r.status)).toEqual(['fail']);
    expect(results[0]!.error).toMatch(/not applied: .* could not read its copy of the key \(EIO injected\)/);
    const later: WriteResult[] = [];
    cluster.cas(first, 'lease', 'b', etag, {}, (r) => later.push(r));
    cluster.cas(cluster.ids.find((id) => id !== first)!, 'lease', 'c', etag, {}, (r) => later.push(r));
    cluster.advance(5_000_000);
    expect(later).toHaveLength(2);
    expect(later.filter((r) => r.status === 'ok')).toHaveLength(1);
  });

  it('a first owner whose storage failed passes conditional writes and deletes without a context to the next owner', () => {
    const cluster = new SimCluster({ seed: 9, nodes: 5 });
    cluster.awaitPut('n0', 'lease', 'initial');
    const [first, second] = cluster.owners('lease');
    (cluster.node(first!)!.engine as unknown as { fail(error: Error): void }).fail(new Error('ENOSPC: no space left on device'));
    const { etag } = cluster.awaitGet(second!, 'lease', { r: 2 });
    for (const via of cluster.ids) {
      const result = cluster.awaitCas(via, 'lease', `from-${via}`, '*');
      expect(result.status, `${via}: ${result.error}`).toBe('ok');
    }
    expect(etag).not.toBe('');
    expect(cluster.awaitDeleteIf(cluster.ids[0]!, 'lease', null).status).toBe('ok');
  });

  // Found by a review of the robustness fixes above.
  it('a dead first owner costs one forward deadline, then conditional writes go to the next owner', () => {
    const cluster = new SimCluster({ seed: 9, nodes: 5 });
    cluster.awaitPut('n0', 'lease', 'initial');
    const owners = cluster.owners('lease');
    const entry = cluster.ids.find((id) => !owners.includes(id))!;
    cluster.crash(owners[0]!);
    const took: [string, number][] = [];
    for (let i = 0; i < 4; i++) {
      const started = cluster.simulator.nowMicros;
      const result = i % 2 === 0 ? cluster.awaitDeleteIf(entry, 'lease', null) : cluster.awaitCas(entry, 'lease', `v${i}`, '*');
      took.push([result.status, cluster.simulator.nowMicros - started]);
      cluster.advance(300_000);
    }
    expect(took[0]![0]).toBe('info'); // the dead owner's deadline: four request timeouts
    for (const [status, micros] of took.slice(1)) {
      expect(status).not.toBe('info');
      expect(micros).toBeLessThan(100_000);
    }
  });

  it('an answer callback that throws still ends the turn: the key\'s next conditional write runs', () => {
    const cluster = new SimCluster({ seed: 9, nodes: 5 });
    cluster.awaitPut('n0', 'lease', 'initial');
    const first = cluster.owners('lease')[0]!;
    cluster.cas(first, 'lease', 'a', '*', {}, () => {
      throw new Error('a client callback that throws');
    });
    expect(() => cluster.advance(1_000_000)).toThrow(/a client callback that throws/);
    const later = cluster.awaitCas(first, 'lease', 'b', '*');
    expect(later.status).toBe('ok');
  });
});
