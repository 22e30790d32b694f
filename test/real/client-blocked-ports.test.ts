import * as http from 'node:http';
import { describe, expect, it } from 'vitest';
import { DynalabClient } from '../../real/client';

// fetch refuses, as browsers do, a list of ports that belong to other protocols (6000 X11, 6665-6669 IRC,
// 10080 …) without trying them: a node listening on one was unreachable from the client and `dynalab kv`.
// The client speaks node:http now (to send key paths as encoded, dot segments included), which tries any port.

const BLOCKED_BY_FETCH = [6000, 6665, 6666, 6667, 6668, 6669, 6697, 10080, 5060, 5061];

/** A stub node on the first of fetch's blocked ports that is free here; null when none is (then nothing to show). */
async function listenOnBlockedPort(): Promise<{ server: http.Server; port: number } | null> {
  for (const port of BLOCKED_BY_FETCH) {
    const server = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ id: 'stub', path: req.url }));
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return { server, port };
  }
  return null;
}

describe('client ports', () => {
  it('reaches a node on a port fetch refuses', async (context) => {
    const stub = await listenOnBlockedPort();
    if (stub === null) return context.skip();
    try {
      const status = await new DynalabClient(`127.0.0.1:${stub.port}`, { timeoutMs: 5000 }).status();
      expect(status).toEqual({ id: 'stub', path: '/v1/status' });
    } finally {
      stub.server.closeAllConnections();
      await new Promise<void>((resolve) => stub.server.close(() => resolve()));
    }
  });
});
