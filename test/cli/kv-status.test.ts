import { describe, expect, it } from 'vitest';
import { statusLines } from '../../cli/commands/kv';

// `kv status` printed the whole /v1/status JSON whether or not --json was given (found by the user review);
// without --json it now prints what an operator looks at first.
describe('kv status summary', () => {
  it('names the node, unreachable peers and why, a storage failure, and the request figures', () => {
    const lines = statusLines({
      id: 'n0', actor: 'n0#3.0pelea32m6', mode: 'vclock', pid: 42, uptimeSeconds: 17, dataDir: '/data/n0', pendingHints: 5,
      quorum: { n: 3, r: 2, w: 2 }, suspected: ['n2'],
      transport: { peers: { n1: { state: 'ready' }, n2: { state: 'waiting', lastFailure: 'connect ECONNREFUSED 127.0.0.1:9003' } } },
      storage: { failure: "disk append failed on '000013.sst': ENOSPC", memtableBytes: 3 * 2 ** 20, tableBytes: 10 * 2 ** 20, flushes: 2, compactions: 1 },
      requests: { requests: 1200, inFlight: 3, shed: 0, connectionsRefused: 7, latency: { p99Ms: 4.2 } },
      eventLoop: { p99Ms: 0.65, maxMs: 1.6 },
    });
    expect(lines[0]).toBe('node      n0  actor n0#3.0pelea32m6, vclock, n=3 r=2 w=2; up 17 s, pid 42');
    expect(lines[1]).toBe('peers     n1 ready; n2 unreachable (connect ECONNREFUSED 127.0.0.1:9003); suspected: n2');
    expect(lines[2]).toMatch(/^storage   FAILED: disk append failed on '000013\.sst': ENOSPC — \/data\/n0; memtable 3\.0 MiB, tables 10\.0 MiB, 2 flushes, 1 compactions$/);
    expect(lines[3]).toBe('requests  1200 served, 3 in flight, 0 shed (overloaded), 7 connections refused; p99 4.2 ms in the node');
    expect(lines[4]).toBe('loop      event-loop delay p99 0.65 ms, max 1.6 ms; 5 hints waiting for their owners');
  });

  it('copes with a node that reports less', () => {
    expect(statusLines({ id: 'n9' })[2]).toMatch(/^storage   ok — \?;/);
  });
});
