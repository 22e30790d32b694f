import * as net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { DynalabClient, DynalabConnectionError } from '../../real/client';

// A node that takes a request and never answers (stopped with SIGSTOP, or overloaded): the client's timeout is
// not "cannot reach" — the request arrived, and a write may have been applied.
const sockets: net.Socket[] = [];
const silent = net.createServer((socket) => sockets.push(socket));
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

describe('client timeouts', () => {
  it('a write that timed out says it may have been applied; a read says it was abandoned', async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const client = new DynalabClient(`http://127.0.0.1:${port}`, { timeoutMs: 200 });
    await expect(client.put('k', 'v')).rejects.toThrow(/no answer from http:\/\/127\.0\.0\.1:\d+ within 200 ms \(PUT \/v1\/keys\/k.*\): the write may or may not have been applied/);
    await expect(client.get('k')).rejects.toThrow(/within 200 ms \(GET .*\): the read was abandoned/);
  });

  it('a node that closes the connection after taking the request: the write may have been applied; a refused connection: cannot reach', async () => {
    let received = 0;
    const closing = net.createServer((socket) => socket.once('data', () => {
      received++;
      socket.destroy();
    }));
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    const { port } = closing.address() as net.AddressInfo;
    try {
      await expect(new DynalabClient(`http://127.0.0.1:${port}`, { timeoutMs: 2000 }).put('k', 'v')).rejects.toThrow(/lost the connection to .* before an answer .*: the write may or may not have been applied/);
      expect(received).toBe(1);
    } finally {
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    }
    // Nothing listens there now.
    const refused = await new DynalabClient(`http://127.0.0.1:${port}`, { timeoutMs: 2000 }).put('k', 'v').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DynalabConnectionError);
    expect((refused as DynalabConnectionError).sent).toBe(false);
    expect((refused as Error).message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+ \(PUT/);
    // Port 6000, which fetch refused outright ("bad port") when the client used it: now simply tried; with
    // nothing there (or something refusing us), nothing was sent.
    const badPort = await new DynalabClient('http://127.0.0.1:6000', { timeoutMs: 2000 }).put('k', 'v').catch((error: unknown) => error);
    if (badPort instanceof DynalabConnectionError) {
      expect(badPort.sent).toBe(false);
      expect(badPort.message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:6000 \(PUT/);
    }
  });

  it('an answer whose body stalls or is cut off is a connection error too, not a bare TimeoutError or TypeError', async () => {
    // Headers, then 5 of the 10 body bytes promised: once it stalls, once the connection is cut.
    for (const cut of [false, true]) {
      const stalling = net.createServer((socket) => socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\nhello');
        if (cut) setTimeout(() => socket.destroy(), 50);
        else sockets.push(socket);
      }));
      await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
      const { port } = stalling.address() as net.AddressInfo;
      try {
        const failure = await new DynalabClient(`http://127.0.0.1:${port}`, { timeoutMs: 300 }).get('k').catch((error: unknown) => error);
        expect(failure, String(failure)).toBeInstanceOf(DynalabConnectionError);
        expect((failure as Error).message).toMatch(cut ? /lost the connection to .* before an answer/ : /no answer from .* within 300 ms/);
      } finally {
        await new Promise<void>((resolve) => stalling.close(() => resolve()));
      }
    }
  });
});
