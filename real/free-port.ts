import * as net from 'node:net';

/**
 * Asks the OS for `count` distinct free TCP ports on `host` (binds port 0, reads the port, closes). Another
 * process could grab a port between this call and its use; for a local cluster on loopback that race is rare
 * and shows up as a clear EADDRINUSE at start.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
