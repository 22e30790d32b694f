import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpApi } from '../../real/http-server';
import { clusterForFile, httpPort, rawExchange, text } from './harness';

// Found by a review: `Expect: 100-continue` invited the body of a request already known to be refused —
// `curl -H 'Expect: 100-continue' -X PUT --data-binary @1MiB '…/k?zz=1'` got 100 Continue, uploaded the whole
// MiB, then got a 400 (likewise ttl=abc, w=9, If-Match: W/"x"). A request refused before its body is needed
// is answered at once, without the 100, and its connection closes (the body was not invited, so whatever of
// it the client still sends is not read). A 3-node in-process real cluster, N=3 R=W=2.

const cluster = clusterForFile({ nodes: 3 });
const port = (i: number) => httpPort(cluster(), i);

/** The status codes of every answer in a raw HTTP/1.1 byte stream, in order (100 Continue included). */
const statuses = (answer: string) => [...answer.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);

/** Sends `head` (a request's headers, no body); once the first answer is in, `body` if given (see rawExchange). */
const expecting = (nodePort: number, head: string, body?: string, ms = 2000) => rawExchange(nodePort, head, ms, body);

const put = (target: string, extra = '') => `PUT ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\nExpect: 100-continue\r\n${extra}\r\n`;

describe('Expect: 100-continue on a request refused before its body', () => {
  it('is answered at once, without inviting the body, and the connection closes', async () => {
    const cases: [string, string, RegExp][] = [
      ['unknown parameter', put('/v1/keys/early?zz=1'), /unknown query parameter "zz"/],
      ['malformed ttl', put('/v1/keys/early?ttl=abc'), /ttl="abc" must be a positive number of seconds/],
      ['w of 0', put('/v1/keys/early?w=0'), /w=0 must be between 1 and n/],
      ['w over the node\'s n (a real node tells its HTTP API n)', put('/v1/keys/early?w=9'), /w=9 must be between 1 and n=3/],
      ['repeated w', put('/v1/keys/early?w=1&w=2'), /w is given 2 times/],
      ['weak If-Match', put('/v1/keys/early', 'If-Match: W/"x"\r\n'), /If-Match: W\/"x" must be \* or one etag/],
      ['malformed context', put('/v1/keys/early', 'X-Dynalab-Context: A\r\n'), /X-Dynalab-Context/],
      ['DELETE with an unknown parameter', `DELETE /v1/keys/early?zz=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n`, /unknown query parameter "zz"/],
      ['DELETE with a weak If-Match', `DELETE /v1/keys/early HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\nIf-Match: W/"x"\r\n\r\n`, /If-Match/],
    ];
    for (const [what, head, error] of cases) {
      const { answer, closed } = await expecting(port(0), head);
      expect(statuses(answer), `${what}: ${answer}`).toEqual(['400']);
      expect((JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string }).error, what).toMatch(error);
      expect(answer, what).toMatch(/\r\nConnection: close\r\n/i);
      expect(closed, `${what}: the connection closes`).toBe(true);
    }
    expect((await cluster().clients[1]!.get('early', { r: 3 })).found).toBe(false);
  });

  it('a w over the node\'s n is refused before the body too, when the HTTP API is told n', async () => {
    const server = createHttpApi(cluster().nodes[0]!.node, { n: 3 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiPort = (server.address() as AddressInfo).port;
    try {
      const { answer, closed } = await expecting(apiPort, put('/v1/keys/early?w=9'));
      expect(statuses(answer), answer).toEqual(['400']);
      expect(answer).toContain('w=9 must be between 1 and n=3');
      expect(closed).toBe(true);
      // In range: invited, written.
      const fine = await expecting(apiPort, `PUT /v1/keys/early-fine?w=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`, 'ok', 1000);
      expect(statuses(fine.answer), fine.answer).toEqual(['100', '204']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    expect((await cluster().clients[1]!.get('early-fine', { r: 3 })).values.map(text)).toEqual(['ok']);
  });

  it('a request that passes is still invited, written, and keeps its connection', async () => {
    const { answer, closed } = await expecting(port(0), `PUT /v1/keys/invited HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, 'hello', 1000);
    expect(statuses(answer), answer).toEqual(['100', '204']);
    expect(closed).toBe(false);
    expect((await cluster().clients[2]!.get('invited', { r: 3 })).values.map(text)).toEqual(['hello']);
  });
});
