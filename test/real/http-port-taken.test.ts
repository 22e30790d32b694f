import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../real/free-port';
import { nodeConfigSchema } from '../../real/node-config';
import { startRealNode } from '../../real/node-process';
import { SECRET, tempDir } from './harness';

// Found by a review: a node whose HTTP port was taken opened its storage first — replayed its log, wrote a new
// node-epoch and a fresh write-ahead log — and only then failed to listen. It now finds out before it touches
// the storage (and, on a long replay, at once rather than after it).

const root = tempDir('http-port-taken');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('a node whose HTTP port is taken', () => {
  it('fails naming listen.http before it opens its storage: no node-epoch, no log, LOCK released', async () => {
    const [http, tcp] = await freePorts(2);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(http, '127.0.0.1', resolve));
    try {
      const dataDir = path.join(root, 'a');
      const config = nodeConfigSchema.parse({
        id: 'a', listen: { http: `127.0.0.1:${http}`, tcp: `127.0.0.1:${tcp}` }, dataDir, secret: SECRET,
        members: [{ id: 'a', tcp: `127.0.0.1:${tcp}` }], n: 1, r: 1, w: 1,
      });
      await expect(startRealNode(config)).rejects.toThrow(`node a: cannot listen for HTTP (listen.http) on 127.0.0.1:${http}: address already in use`);
      expect(fs.readdirSync(dataDir)).toEqual([]);
      // The node port was let go too: a start once the port is free works.
      await new Promise((resolve) => squatter.close(resolve));
      const node = await startRealNode(config);
      await node.stop();
    } finally {
      squatter.close();
    }
  });
});
