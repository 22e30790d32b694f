import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startRealNode } from '../../real/node-process';
import { startCluster, text } from './harness';

// A node's version-vector actor must be new every time it starts, whatever its data directory says: a node
// back on an empty directory (a replaced disk) or on a restored backup used to take an actor its replicas had
// seen, and its next writes reused dots they already held — they dropped earlier acknowledged versions.
describe('a node restarted on a replaced or restored data directory', () => {
  it('keeps every acknowledged write: an empty directory, then an old copy of it', async () => {
    const cluster = await startCluster({ nodes: 3 });
    try {
      const n0 = cluster.clients[0]!;
      const dir = cluster.configs[0]!.dataDir;
      for (let i = 0; i < 5; i++) await n0.put(`dk${i}`, `first-${i}`);
      const backup = `${dir}.backup`;
      await cluster.stop(0);
      fs.cpSync(dir, backup, { recursive: true });
      await cluster.start(0);
      for (let i = 0; i < 5; i++) await n0.put(`rk${i}`, `first-${i}`);

      // The disk is replaced: n0 starts on an empty directory and takes blind writes for the same keys.
      await cluster.stop(0);
      fs.rmSync(dir, { recursive: true, force: true });
      const first = await cluster.start(0);
      for (let i = 0; i < 5; i++) await n0.put(`dk${i}`, `second-${i}`);
      for (let i = 0; i < 5; i++) {
        expect((await cluster.clients[1]!.get(`dk${i}`, { r: 3 })).values.map(text).sort(), `dk${i}`).toEqual([`first-${i}`, `second-${i}`]);
      }

      // Rolled back to the copy taken before the rk writes: its node-epoch is older than the actor that wrote them.
      await cluster.stop(0);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.cpSync(backup, dir, { recursive: true });
      const second = await cluster.start(0);
      expect(second.node.actorId).not.toBe(first.node.actorId);
      for (let i = 0; i < 5; i++) await n0.put(`rk${i}`, `second-${i}`);
      for (let i = 0; i < 5; i++) {
        expect((await cluster.clients[2]!.get(`rk${i}`, { r: 3 })).values.map(text).sort(), `rk${i}`).toEqual([`first-${i}`, `second-${i}`]);
      }
    } finally {
      await cluster.close();
    }
  });

  it('refuses to start on a damaged node-epoch file, naming it (it used to read as epoch 0 and skip the conflict-mode check)', async () => {
    const cluster = await startCluster({ nodes: 1 });
    try {
      await cluster.stop(0);
      fs.writeFileSync(path.join(cluster.configs[0]!.dataDir, 'node-epoch'), '1 dvw\n');
      await expect(startRealNode(cluster.configs[0]!)).rejects.toThrow(/its node-epoch file is damaged \(it reads "1 dvw", expected '<epoch> <conflict mode>'\)/);
    } finally {
      await cluster.close();
    }
  });
});
