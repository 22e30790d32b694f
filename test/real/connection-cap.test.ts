import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StorageNode } from '../../core/node';
import { clientConnectionCap, openFileLimit } from '../../real/fd-limit';
import { createHttpApi } from '../../real/http-server';
import { rawRequest } from './harness';

// Idle client connections must not take the descriptors a node needs for its own files (a review's 1,100 idle
// sockets under `ulimit -n 1024` took one down): past a cap, new connections are closed as they arrive.
describe('the HTTP connection cap', () => {
  it('is derived from the open-file limit unless configured', () => {
    expect(openFileLimit()).toBeGreaterThan(0);
    expect(clientConnectionCap(undefined, 1024)).toBe(512);
    expect(clientConnectionCap(undefined, 600)).toBe(88);
    expect(clientConnectionCap(undefined, 100)).toBe(64);
    expect(clientConnectionCap(undefined, Number.POSITIVE_INFINITY)).toBe(10_000);
    expect(clientConnectionCap(3, 1024)).toBe(3);
  });

  it('closes connections past the cap as they arrive, reports them, and keeps serving the rest', async () => {
    const stub = {
      get: (_key: Uint8Array, _options: unknown, done: (result: unknown) => void) =>
        setImmediate(() => done({ status: 'ok', values: [], context: new Uint8Array(0), etag: '', replies: 1, error: '', code: 'ok' })),
    } as unknown as StorageNode;
    const reports: [number, number][] = [];
    const server = createHttpApi(stub, { maxConnections: 3, onConnectionsRefused: (refused, cap) => reports.push([refused, cap]) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const idle: net.Socket[] = [];
    try {
      const closed: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        const socket = net.connect(port, '127.0.0.1');
        const index = i;
        closed[index] = false;
        socket.on('close', () => (closed[index] = true));
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        idle.push(socket);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toEqual([false, false, false, true, true]);
      expect(reports).toEqual([[1, 3]]); // the first refusal reported at once, the next within 10 s folded in later
      idle[0]!.destroy();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await rawRequest(port, 'GET', '/v1/keys/k')).status).toBe(404);
    } finally {
      for (const socket of idle) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers headers past 16 KiB with 431 and a JSON reason, not a bare 400', async () => {
    const server = createHttpApi({} as StorageNode);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`GET /v1/keys/k HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      await new Promise((resolve) => socket.once('close', resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(answer).toContain('"code":"headers-too-large"');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('pipelined requests are each admitted against their own slot, and a 100-continue waits for its turn', async () => {
    // Found by a review of the per-connection ordering: the next pipelined request was admitted before its
    // predecessor's slot was freed (a false 503), and one queued with Expect: 100-continue was never invited.
    const ok = { status: 'ok', context: new Uint8Array(0), acks: 2, error: '', code: 'ok' };
    const stub = {
      absentEtag: () => 'absent',
      put: (_k: Uint8Array, _v: Uint8Array, _o: unknown, done: (r: unknown) => void) => setTimeout(() => done(ok), 50),
      get: (_k: Uint8Array, _o: unknown, done: (r: unknown) => void) =>
        setTimeout(() => done({ status: 'ok', values: [], context: new Uint8Array(0), etag: 'e', replies: 2, error: '', code: 'ok' }), 50),
    } as unknown as StorageNode;
    const server = createHttpApi(stub, { maxInFlight: 1 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const statuses = (answer: string) => [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    try {
      const pipelined = net.connect(port, '127.0.0.1');
      let answer = '';
      pipelined.on('data', (chunk) => (answer += chunk.toString('latin1')));
      await new Promise((resolve) => pipelined.once('connect', resolve));
      pipelined.write('GET /v1/keys/a HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(statuses(answer)).toEqual(['404', '404', '404']);

      // A GET holds the only slot; a PUT with Expect: 100-continue queues behind it on the same connection.
      let second = '';
      pipelined.removeAllListeners('data');
      pipelined.on('data', (chunk) => {
        second += chunk.toString('latin1');
        if (second.includes('100 Continue') && !second.includes('SENT')) {
          pipelined.write('hello');
          second += 'SENT';
        }
      });
      pipelined.write('GET /v1/keys/g HTTP/1.1\r\nHost: x\r\n\r\n');
      pipelined.write('PUT /v1/keys/b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(statuses(second)).toEqual(['404', '100', '204']);
      pipelined.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a request parsed while the next one is being handed its turn waits behind it; a client gone meanwhile starts nothing', async () => {
    // Found by a review: between one answer and the queued request's start (a setImmediate) the connection
    // looked free, so a third request overtook the second, and a client that left in that gap still had the
    // queued request run and its admission slot never freed. Driven with stand-in request objects to hit the gap.
    const { EventEmitter } = await import('node:events');
    const calls: string[] = [];
    const pending: ((result: unknown) => void)[] = [];
    const stub = {
      absentEtag: () => 'absent',
      get: (key: Uint8Array, _o: unknown, done: (r: unknown) => void) => {
        calls.push(Buffer.from(key).toString());
        pending.push(done);
      },
    } as unknown as StorageNode;
    const server = createHttpApi(stub, { maxInFlight: 1 });
    const socket = () => Object.assign(new EventEmitter(), { destroyed: false });
    const exchange = (connection: object, key: string) => {
      const req = Object.assign(new EventEmitter(), { url: `/v1/keys/${key}`, method: 'GET', headers: {}, socket: connection, complete: true });
      const res = Object.assign(new EventEmitter(), {
        headersSent: false, statusCode: 200, setHeader() {}, getHeader() {}, write: () => true,
        writeHead(status: number) { res.statusCode = status; res.headersSent = true; return res; },
        end() { res.headersSent = true; res.emit('finish'); process.nextTick(() => res.emit('close')); },
      });
      server.emit('request', req, res);
      return res;
    };
    const ok = { status: 'ok', values: [], context: new Uint8Array(0), etag: 'e', replies: 2, error: '', code: 'ok' };
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    const one = socket();
    exchange(one, 'a');
    exchange(one, 'b');
    pending.shift()!(ok); // a answered: b is handed its turn on the next check phase
    const third = exchange(one, 'c'); // parsed in between
    await turn();
    await turn();
    expect(calls).toEqual(['a', 'b']); // c waits behind b, it does not overtake it
    expect(third.statusCode).toBe(200); // and is not refused as overloaded
    pending.shift()!(ok);
    await turn();
    await turn();
    expect(calls).toEqual(['a', 'b', 'c']);
    pending.shift()!(ok);
    await new Promise((resolve) => setTimeout(resolve, 10));

    calls.length = 0;
    const two = socket();
    exchange(two, 'x');
    exchange(two, 'y');
    pending.shift()!(ok);
    two.destroyed = true;
    two.emit('close'); // the client left before y's turn came
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toEqual(['x']);
    const fresh = exchange(socket(), 'z'); // the only admission slot is free again
    await turn();
    expect(calls).toEqual(['x', 'z']);
    expect(fresh.statusCode).toBe(200);
  });

  it('a write refused before anything was written is a 503 saying so, not "write quorum not met"', async () => {
    const stub = {
      put: (_k: Uint8Array, _v: Uint8Array, _o: unknown, done: (r: unknown) => void) =>
        setImmediate(() => done({ status: 'fail', context: new Uint8Array(0), acks: 0, error: 'busy: this conditional write waited 612 ms at n3 behind others of its key; try again', code: 'unavailable' })),
    } as unknown as StorageNode;
    const server = createHttpApi(stub);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await rawRequest((server.address() as AddressInfo).port, 'PUT', '/v1/keys/k', {}, Buffer.from('v'));
      expect(answer.status).toBe(503);
      expect(answer.json()).toMatchObject({ code: 'unavailable', acks: 0, error: 'not applied: busy: this conditional write waited 612 ms at n3 behind others of its key; try again' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('slow clients', () => {
  it('a body that stops half way gets a 408 in JSON at the request deadline, and garbage a JSON 400', async () => {
    const stub = { absentEtag: () => 'absent' } as unknown as StorageNode;
    const server = createHttpApi(stub, { requestTimeoutMs: 600 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const exchange = async (bytes: string): Promise<{ answer: string; ms: number }> => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      await new Promise((resolve) => socket.once('connect', resolve));
      const started = Date.now();
      socket.write(bytes);
      await new Promise((resolve) => socket.once('close', resolve));
      return { answer, ms: Date.now() - started };
    };
    try {
      // Before: node's own deadline (300 s), then a bare 400 with no body.
      const stalled = await exchange('PUT /v1/keys/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      expect(stalled.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(stalled.answer).toMatch(/"code":"request-timeout"/);
      expect(stalled.ms).toBeLessThan(5_000);
      const garbage = await exchange('\x00\x01garbage\r\n\r\n');
      expect(garbage.answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(garbage.answer).toMatch(/"code":"bad-request"/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
