import { describe, expect, it } from 'vitest';
import { clusterForFile, httpPort, rawExchange, rawRequest } from './harness';

// Found by a review of the HTTP API: `/v1/status?reset=` took any value, and repeats (only `reset=1` reset,
// the rest were 200s that did nothing); an HTTP/1.1 request without Host got a bare 400 and `Expect: foo` a
// bare 417, where every other error answer is JSON. A 1-node in-process real cluster.

const cluster = clusterForFile({ nodes: 1 });
const port = () => httpPort(cluster(), 0);

interface Status { requests: { latency: { count: number } } }
const status = async (query = ''): Promise<Status> => JSON.parse((await rawRequest(port(), 'GET', `/v1/status${query}`)).body.toString('utf8')) as Status;

/** The status codes of every answer in a raw HTTP/1.1 byte stream, in order. */
const statuses = (answer: string) => [...answer.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => m[1]);

/** The JSON bodies of the answers in a raw byte stream (those that have one), in order. */
const jsonBodies = (answer: string) => [...answer.matchAll(/\r\n\r\n(\{[^\n]*\})\n/g)].map((m) => JSON.parse(m[1]!) as { error: string; code: string });

const exchange = (data: string, ms = 1500) => rawExchange(port(), data, ms);

describe('GET /v1/status?reset=', () => {
  it('takes only a single reset=1; any other value, or a repeat, is a 400 naming reset, and resets nothing', async () => {
    await cluster().clients[0]!.put('reset:k', 'v');
    expect((await status()).requests.latency.count).toBeGreaterThan(0);
    for (const query of ['?reset=true', '?reset=0', '?reset=yes', '?reset=', '?reset', '?reset=1&reset=1', '?reset=01']) {
      const refused = await rawRequest(port(), 'GET', `/v1/status${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.json().code, query).toBe('bad-request');
      expect(refused.json().error, query).toMatch(/reset/);
      expect(refused.json().error, query).toMatch(/reset=1/);
    }
    expect((await status()).requests.latency.count, 'no refused reset started a new window').toBeGreaterThan(0);
    expect((await rawRequest(port(), 'GET', '/v1/status?reset=1')).status).toBe(200);
    expect((await status()).requests.latency.count).toBe(0);
  });
});

describe('every error answer is JSON', () => {
  it('an HTTP/1.1 request without Host: a JSON 400 naming Host, then the connection closes; HTTP/1.0 needs none', async () => {
    const missing = await exchange('GET /v1/status HTTP/1.1\r\n\r\n');
    expect(statuses(missing.answer), missing.answer).toEqual(['400']);
    expect(missing.answer).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/i);
    expect(jsonBodies(missing.answer)[0]).toMatchObject({ code: 'bad-request', error: expect.stringMatching(/Host/) });
    expect(missing.closed).toBe(true);
    // In its turn behind a pipelined request, not in its place.
    const behind = await exchange('GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/keys/nothing HTTP/1.1\r\n\r\n');
    expect(statuses(behind.answer), behind.answer).toEqual(['200', '400']);
    expect(behind.closed).toBe(true);
    const old = await exchange('GET /v1/status HTTP/1.0\r\n\r\n');
    expect(statuses(old.answer), old.answer).toEqual(['200']);
  });

  it('an Expect other than 100-continue: a JSON 417 naming it, in its turn; a request with a body closes its connection', async () => {
    const bodyless = await exchange('GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/keys/nothing HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\nGET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n', 1000);
    expect(statuses(bodyless.answer), bodyless.answer).toEqual(['200', '417', '200']);
    const [expectation] = jsonBodies(bodyless.answer).filter((body) => body.code !== undefined);
    expect(expectation).toMatchObject({ code: 'expectation-failed', error: expect.stringMatching(/Expect: foo/) });
    expect(expectation!.error).toMatch(/100-continue/);
    expect(bodyless.closed).toBe(false);
    const withBody = await exchange('PUT /v1/keys/expect-foo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: foo\r\n\r\n');
    expect(statuses(withBody.answer), withBody.answer).toEqual(['417']);
    expect(withBody.answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(jsonBodies(withBody.answer)[0]).toMatchObject({ code: 'expectation-failed' });
    expect(withBody.closed).toBe(true);
    expect((await cluster().clients[0]!.get('expect-foo')).found).toBe(false);
  });
});
