import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StorageNode } from '../../core/node';
import { createHttpApi } from '../../real/http-server';
import { nodeConfigSchema } from '../../real/node-config';
import { rawRequest, startCluster, waitFor, httpPort } from './harness';

// Found by a review: admission counted requests, not bytes, so 400 concurrent 1 MiB PUTs were all admitted and
// one node reached 4.7 GB of memory (each 1 MiB value in progress costs several MiB: the body, its encodings,
// the log). Request bodies in progress are now bounded too (maxInFlightBodyMiB, default 64): a PUT is
// admitted with its declared Content-Length (a chunked one with the 1 MiB a value may take) counted, and
// one past the bound gets 503 `overloaded` with Retry-After, its body unread.

const MiB = 1024 * 1024;

describe('admission bounds request-body bytes in progress', () => {
  it('with 64 MiB of declared bodies in progress (the default) a PUT gets 503 overloaded naming the limit; a GET is still admitted', async () => {
    const cluster = await startCluster({ nodes: 1 });
    const port = httpPort(cluster, 0);
    const sockets: net.Socket[] = [];
    const status = async () => (await cluster.clients[0]!.status()) as { requests: { inFlight: number; shed: number; bodyBytesInFlight?: number } };
    try {
      // 64 PUTs that declared 1 MiB and sent none of it yet: each holds its 1 MiB of the bound.
      for (let i = 0; i < 64; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        sockets.push(socket);
        socket.write(`PUT /v1/keys/held${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${MiB}\r\n\r\n`);
      }
      await waitFor('64 PUTs in flight', async () => (await status()).requests.inFlight === 64, 10_000);
      const refused = await rawRequest(port, 'PUT', '/v1/keys/one-more', {}, Buffer.alloc(MiB, 1));
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json()).toEqual({
        code: 'overloaded',
        error: `node has ${64 * MiB} bytes of request bodies in progress; this one's ${MiB} would pass the limit of 64 MiB (maxInFlightBodyMiB); retry later`,
      });
      expect((await status()).requests.bodyBytesInFlight).toBe(64 * MiB);
      // A request without a body takes no bytes: admitted (the key is absent).
      expect((await rawRequest(port, 'GET', '/v1/keys/held0')).status).toBe(404);
      // The held PUTs go away: their bytes are free again, and a PUT is admitted.
      for (const socket of sockets) socket.destroy();
      await waitFor('nothing in flight', async () => (await status()).requests.inFlight === 0, 10_000);
      expect((await status()).requests.bodyBytesInFlight).toBe(0);
      expect((await rawRequest(port, 'PUT', '/v1/keys/one-more', {}, Buffer.alloc(MiB, 1))).status).toBe(204);
    } finally {
      for (const socket of sockets) socket.destroy();
      await cluster.close();
    }
  }, 60_000);

  it('a small configured bound: a chunked body counts as what arrived once it ends; one request alone is always admitted', async () => {
    const ok = { status: 'ok', context: new Uint8Array(0), acks: 1, error: '', code: 'ok' };
    const pending: (() => void)[] = [];
    const stub = {
      absentEtag: () => 'absent',
      put: (_k: Uint8Array, _v: Uint8Array, _o: unknown, done: (r: unknown) => void) => pending.push(() => done(ok)),
    } as unknown as StorageNode;
    const server = createHttpApi(stub, { maxBodyBytesInFlight: 1000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      // Alone, a body over the bound is admitted (else it could never be written), and the node works on it.
      const alone = rawRequest(port, 'PUT', '/v1/keys/a', { 'Transfer-Encoding': 'chunked' }, Buffer.alloc(5000, 1));
      await waitFor('the node has the PUT', () => pending.length === 1);
      // Anything with a body beside it is refused while the node still works on the first.
      const beside = await rawRequest(port, 'PUT', '/v1/keys/b', {}, Buffer.from('x'));
      expect(beside.status).toBe(503);
      expect(beside.json().error).toBe("node has 5000 bytes of request bodies in progress; this one's 1 would pass the limit of 1000 bytes (maxInFlightBodyMiB); retry later");
      pending.shift()!();
      expect((await alone).status).toBe(204);
      // Freed: two small bodies fit side by side.
      const two = [rawRequest(port, 'PUT', '/v1/keys/c', {}, Buffer.alloc(400)), rawRequest(port, 'PUT', '/v1/keys/d', {}, Buffer.alloc(400))];
      await waitFor('both with the node', () => pending.length === 2);
      for (const done of pending.splice(0)) done();
      expect((await Promise.all(two)).map((r) => r.status)).toEqual([204, 204]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 15_000);

  it('is a node config field, in MiB', () => {
    const base = { id: 'a', listen: { http: '127.0.0.1:8001', tcp: '127.0.0.1:9001' }, dataDir: '/d', secret: '0123456789abcdef0123', members: [{ id: 'a', tcp: '127.0.0.1:9001' }], n: 1, r: 1, w: 1 };
    expect(nodeConfigSchema.parse(base).maxInFlightBodyMiB).toBe(64);
    expect(nodeConfigSchema.parse({ ...base, maxInFlightBodyMiB: 16 }).maxInFlightBodyMiB).toBe(16);
    expect(nodeConfigSchema.safeParse({ ...base, maxInFlightBodyMiB: 0 }).success).toBe(false);
  });
});
