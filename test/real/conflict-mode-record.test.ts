import { describe, expect, it } from 'vitest';
import { startRealNode } from '../../real/node-process';
import { startCluster, text } from './harness';

describe("a node's data directory records its conflict mode", () => {
  it('refuses to start with the other mode on a directory written in one, naming both; starts again with the right one', async () => {
    const cluster = await startCluster({ nodes: 1 });
    try {
      await cluster.clients[0]!.put('k', 'v');
      await cluster.stop(0);
      const wrong = { ...cluster.configs[0]!, conflict: 'lww' as const };
      await expect(startRealNode(wrong)).rejects.toThrow(
        /its data directory was written with conflict: vclock, but it is configured with conflict: lww; a node's conflict mode cannot change/,
      );
      await cluster.start(0); // the right mode: the data are there
      expect((await cluster.clients[0]!.get('k')).values.map(text)).toEqual(['v']);
    } finally {
      await cluster.close();
    }
  });
});
