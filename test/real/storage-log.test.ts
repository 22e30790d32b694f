import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCluster } from './harness';

// Real mode says in its log what recovery did and when storage fails; before, both showed only in
// /v1/status (found by a review: a full disk left no error line at all).
describe("a real node's log", () => {
  afterEach(() => vi.restoreAllMocks());

  it('says what recovery replayed, and reports a storage failure once, when it happens', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const cluster = await startCluster({ nodes: 1 });
    try {
      await cluster.clients[0]!.put('k', 'v');
      await cluster.stop(0);
      const node = await cluster.start(0);
      expect(lines.some((line) => /\[node n0\] recovered \d+ write batch\(es\) from 1 write-ahead log file\(s\)/.test(line)), lines.join('\n')).toBe(true);

      (node.node.engine as unknown as { fail(error: Error): void }).fail(new Error("disk append failed on '000009.log': ENOSPC: no space left on device"));
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const failures = lines.filter((line) => line.includes('STORAGE FAILED'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/\[node n0\] WARN STORAGE FAILED: disk append failed on '000009\.log': ENOSPC.*forwards them to other owners/);
    } finally {
      await cluster.close();
    }
  });
});
