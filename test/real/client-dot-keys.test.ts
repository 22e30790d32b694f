import { describe, expect, it } from 'vitest';
import { clusterForFile, httpPort, rawRequest, text } from './harness';

// Keys that are dot segments of a URL path. fetch (the WHATWG URL parser) removed `/.` and `/..` from
// `/v1/keys/..` before sending — and `%2E` too — so the client asked for GET /v1/ (a 404 "no such endpoint")
// or PUT /v1/keys/ (a 400 "empty key"), although the node stores and lists such keys (found by a review). The
// client now sends the path as it encoded it.

const cluster = clusterForFile({ nodes: 3 });

const KEYS = ['.', '..', '.%', 'a/../b', '...', './x'];

describe('keys that look like dot segments, through the client', () => {
  it('put, get, list and delete each of ., .., .%, a/../b', async () => {
    const [writer, reader, lister] = cluster().clients;
    for (const key of KEYS) {
      const put = await writer!.put(key, `value of ${key}`);
      expect(put.acks, key).toBeGreaterThanOrEqual(2);
      const got = await reader!.get(key);
      expect(got.found, key).toBe(true);
      expect(text(got.values[0]!), key).toBe(`value of ${key}`);
    }
    // The listing names exactly these keys (percent-encoded as in URLs): nothing was written under another name.
    const listed = await lister!.list('.');
    expect(listed.keys).toEqual(['.', '.%25', '..', '...', '.%2Fx']);
    expect((await lister!.list('a/')).keys).toEqual(['a%2F..%2Fb']);
    // The segments %2E and .%2E, which the node percent-decodes to '.' and '..', name the keys the client wrote.
    for (const [segment, key] of [['%2E', '.'], ['.%2E', '..']] as const) {
      const viaEscape = await rawRequest(httpPort(cluster(), 1), 'GET', `/v1/keys/${segment}`);
      expect(viaEscape.status, segment).toBe(200);
      expect(viaEscape.body.toString('utf8'), segment).toBe(`value of ${key}`);
    }
    for (const key of KEYS) {
      await writer!.delete(key);
      expect((await reader!.get(key)).found, key).toBe(false);
    }
    expect((await lister!.list('.')).keys).toEqual([]);
  });
});
