import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../core/replication/messages';
import { encodeFrame, FrameDecoder, FrameType } from '../../real/frame-codec';
import { freePorts } from '../../real/free-port';
import { computeProof, decodeChallenge, encodeHello, HANDSHAKE_VERSION, newNonce } from '../../real/peer-handshake';
import { splitHostPort } from '../../real/node-config';
import { clusterSettings, startRealNode } from '../../real/node-process';
import { TcpTransport } from '../../real/tcp-transport';
import { clusterConfigs, SECRET, startCluster, tempDir, text, waitFor, type TestCluster } from './harness';

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

describe('the node port: who may connect, and where it listens', () => {
  it('refuses a client with the secret that claims an id outside the member list, or the node\'s own, logging why', async () => {
    const target = cluster.nodes[2]!;
    const before = target.transport.stats();
    const reads = target.node.counters.replicaReads;
    const logStart = cluster.log.length;
    // Found by reading: an authenticated connection could claim any id and its messages were attributed to it.
    for (const claimed of ['n9', 'n2']) expect(await claimAndSend(cluster.configs[2]!, claimed)).toBe('closed');
    const log = cluster.log.slice(logStart);
    expect(log).toContainEqual(expect.stringMatching(/^warn closing inbound connection from n9 at .*: 'n9' is not a member of this node's cluster \(peers: n0, n1\)/));
    expect(log).toContainEqual(expect.stringMatching(/^warn closing inbound connection from n2 at .*: it claims this node's own id 'n2'/));
    expect(target.transport.stats().inboundAuthenticated).toBe(before.inboundAuthenticated);
    expect(target.node.counters.replicaReads).toBe(reads);
  });

  it('names listen.tcp when its port is taken, as it does listen.http, and releases the data directory', async () => {
    const root = tempDir('tcp-busy');
    const holder = net.createServer();
    try {
      const [config] = clusterConfigs(root, await freePorts(2), { nodes: 1 });
      const { host, port } = splitHostPort(config!.listen.tcp);
      await new Promise<void>((resolve) => holder.listen(port, host, resolve));
      // Before: "listen EADDRINUSE: address already in use 127.0.0.1:…", naming neither the field nor its use.
      await expect(startRealNode(config!)).rejects.toThrow(
        new RegExp(`^node n0: cannot listen for peers \\(listen\\.tcp\\) on 127\\.0\\.0\\.1:${port}: address already in use`),
      );
      expect(fs.existsSync(path.join(config!.dataDir, 'LOCK'))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * The client side of the handshake by hand, claiming `clientId`, with the cluster's secret and settings; once
 * welcomed it sends a replica-read. Resolves 'welcomed' or 'closed' (refused before WELCOME).
 */
async function claimAndSend(target: TestCluster['configs'][number], clientId: string): Promise<'welcomed' | 'closed'> {
  const { host, port } = splitHostPort(target.listen.tcp);
  const socket = net.connect(port, host);
  socket.on('error', () => {});
  const decoder = new FrameDecoder(1024);
  const nonce = newNonce();
  const outcome = new Promise<'welcomed' | 'closed'>((resolve) => {
    socket.once('close', () => resolve('closed'));
    socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (frame) => {
        if (frame.type === FrameType.Challenge) {
          const challenge = decodeChallenge(frame.payload);
          socket.write(encodeFrame(FrameType.Proof, computeProof(SECRET, 'client', { clientNonce: nonce, serverNonce: challenge.nonce, clientId, serverId: challenge.serverId })));
        } else if (frame.type === FrameType.Welcome) {
          socket.write(encodeFrame(FrameType.Data, encodeMessage({ type: 'replica-read', requestId: 1, key: new TextEncoder().encode('k') })));
          resolve('welcomed');
        }
      }),
    );
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeFrame(FrameType.Hello, encodeHello({ version: HANDSHAKE_VERSION, nonce, clientId, settings: clusterSettings(target) })));
  const timer = setTimeout(() => socket.destroy(), 3000);
  try {
    return await outcome;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}
