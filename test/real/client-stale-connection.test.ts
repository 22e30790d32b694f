import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DynalabClient } from '../../real/client';

/**
 * A keep-alive connection the node closed as a request went out (its idle timeout, a restart) was never read:
 * the client sends that request once more on a fresh connection, as fetch did. Found by a review of the
 * client's move to node:http: such a PUT was reported "lost the connection … may or may not have been applied".
 * The stub answers the first request on each connection and closes the connection on the second, unread.
 */
describe('the client on a keep-alive connection the node had closed', () => {
  it('sends the request again on a fresh connection (PUT and GET), and only once', async () => {
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
      expect((await client.put('b', 'v')).acks).toBe(2); // its first try met the closed connection
      expect((await client.get('c')).found).toBe(true);
      expect(connections).toBe(3);
    } finally {
      server.close();
    }
  });
});
