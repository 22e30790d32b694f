import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../core/replication/messages';
import { splitHostPort } from '../../real/node-config';
import { TcpTransport } from '../../real/tcp-transport';
import { startCluster, text, waitFor, type TestCluster } from './harness';

// The node-to-node port of a running real node (StorageNode + TcpTransport): an impostor without the cluster
// secret is refused and its messages never reach the core; garbage closes only that connection.

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3 });
});

afterAll(async () => {
  await cluster?.close();
});

describe('the node port of a real node', () => {
  it('refuses a peer with the wrong secret; its messages never reach the node', async () => {
    const target = cluster.nodes[0]!;
    const before = target.transport.stats();
    const impostorLog: string[] = [];
    // Claims to be member n1 (a real member id) but does not know the secret.
    const impostor = new TcpTransport({
      self: 'n1',
      clusterSecret: 'wrong-secret-wrong-secret',
      peers: { n0: splitHostPort(cluster.configs[0]!.listen.tcp) },
      backoff: { initialMs: 20, maxMs: 100 },
      logger: { info: (m) => impostorLog.push(m), warn: (m) => impostorLog.push(m) },
    });
    await impostor.start();
    try {
      const reads = target.node.counters.replicaReads;
      for (let i = 0; i < 5; i++) impostor.send('n0', encodeMessage({ type: 'replica-read', requestId: 1 + i, key: new TextEncoder().encode('k') }));
      // The server proves itself first; the impostor cannot check that proof and the link never opens.
      await waitFor('the impostor to fail authentication', () => impostor.stats().authFailures >= 2, 5000);
      expect(impostorLog.some((line) => line.includes('auth failure'))).toBe(true);
      expect(target.transport.stats().inboundAuthenticated).toBe(before.inboundAuthenticated);
      expect(target.node.counters.replicaReads).toBe(reads);
      expect(target.node.counters.malformedMessages).toBe(0);
    } finally {
      await impostor.close();
    }
    await cluster.clients[0]!.put('after-impostor', 'ok');
    expect((await cluster.clients[0]!.get('after-impostor', { r: 3 })).values.map(text)).toEqual(['ok']);
  });

  it('garbage and truncated frames close that connection only; the node keeps serving', async () => {
    const { host, port } = splitHostPort(cluster.configs[1]!.listen.tcp);
    const attacks = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), // a 4 GiB frame announced
      Buffer.from([0, 0, 0, 10, 1, 1]), // truncated hello, then hang up
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff)),
    ];
    for (const attack of attacks) {
      const socket = net.connect(port, host);
      socket.on('error', () => {});
      socket.on('data', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(attack);
      if (attack.length === 6) socket.end();
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 1000);
      });
    }
    await cluster.clients[1]!.put('after-garbage', 'still here', { w: 3 });
    for (const client of cluster.clients) expect((await client.get('after-garbage', { r: 3 })).values.map(text)).toEqual(['still here']);
    expect(cluster.nodes[1]!.transport.stats().openInboundConnections).toBeLessThanOrEqual(2);
  });
});
