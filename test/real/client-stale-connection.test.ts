import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DynalabClient, DynalabConnectionError } from '../../real/client';

/**
 * A keep-alive connection the node closed as a request went out (its idle timeout, a restart): a read is sent
 * once more on a fresh connection, as fetch did (a review of the client's move to node:http). A write is not —
 * the same reset ends a request the node applied before it died; retried, a kill -9 fuzz saw a write reported
 * "cannot reach" (the second try found the node down) and then read back — and is "outcome unknown".
 * The stub answers the first request on each connection and closes the connection on the second, unread.
 */
describe('the client on a keep-alive connection the node had closed', () => {
  it('sends a GET again on a fresh connection, once; a PUT is reported outcome unknown, not retried', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      let requests = 0;
      socket.on('data', (chunk: Buffer) => {
        if (++requests > 1) return void socket.destroy();
        socket.write(chunk.toString('latin1').startsWith('PUT')
          ? 'HTTP/1.1 204 No Content\r\nX-Dynalab-Acks: 2\r\nKeep-Alive: timeout=30\r\n\r\n'
          : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Dynalab-Context: AA==\r\nKeep-Alive: timeout=30\r\n\r\nok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new DynalabClient(`127.0.0.1:${(server.address() as net.AddressInfo).port}`, { timeoutMs: 5000 });
      expect((await client.get('a')).found).toBe(true);
      expect((await client.get('b')).found).toBe(true); // its first try met the closed connection
      expect(connections).toBe(2);
      const put = await client.put('c', 'v').catch((error: unknown) => error); // on the kept-alive connection
      expect(put).toBeInstanceOf(DynalabConnectionError);
      expect((put as DynalabConnectionError).sent).toBe(true);
      expect((put as Error).message).toMatch(/may or may not have been applied/);
      expect(connections).toBe(2);
    } finally {
      server.close();
    }
  });
});
