import { describe, expect, it } from 'vitest';
import { clusterForFile, httpPort, rawRequest, text } from './harness';

// Found by a review: an X-Dynalab-Context that decodes to no bytes (`A`, `=`) was taken as no context at all —
// a DELETE with it answered 204 and deleted nothing (the blind delete the node otherwise prevents by reading
// first), a PUT with it became a blind write beside the value it meant to replace. A context is accepted only
// as GET returns it: canonical base64 of a non-empty context. A 3-node in-process real cluster, N=3 R=W=2.

const cluster = clusterForFile({ nodes: 3 });
const port = (i: number) => httpPort(cluster(), i);

describe('X-Dynalab-Context', () => {
  it('that decodes to no bytes, or is not canonical base64, is a 400 naming the header; nothing is written or deleted', async () => {
    const client = cluster().clients[0]!;
    await client.put('ctx:kept', 'original', { w: 3 });
    const got = await client.get('ctx:kept', { r: 3 });
    expect(got.context).not.toBe('');
    // 'AA' and 'QQ' decode to one byte each, but GET would have sent 'AA==' and 'QQ==': not what GET returns.
    const unpadded = got.context.replace(/=+$/, '');
    const bad = ['A', '=', '==', 'AA', 'QQ', 'QR==', ...(unpadded !== got.context ? [unpadded] : [])];
    for (const context of bad) {
      const deleted = await rawRequest(port(1), 'DELETE', '/v1/keys/ctx:kept', { 'X-Dynalab-Context': context });
      expect(deleted.status, `DELETE with context ${context}`).toBe(400);
      expect(deleted.json().code).toBe('bad-request');
      expect(deleted.json().error).toMatch(/X-Dynalab-Context/);
      const put = await rawRequest(port(2), 'PUT', '/v1/keys/ctx:kept', { 'X-Dynalab-Context': context }, Buffer.from('blind'));
      expect(put.status, `PUT with context ${context}`).toBe(400);
      expect(put.json().error).toMatch(/X-Dynalab-Context/);
    }
    expect((await rawRequest(port(0), 'DELETE', '/v1/keys/ctx:kept', { 'X-Dynalab-Context': 'A' })).json().error).toMatch(/as GET returned it/);
    // Still there, alone: no delete happened and no blind sibling was written.
    const after = await client.get('ctx:kept', { r: 3 });
    expect(after.values.map(text)).toEqual(['original']);
    // The context as GET returned it still works, for both.
    await client.put('ctx:kept', 'replaced', { context: after.context });
    const replaced = await client.get('ctx:kept', { r: 3 });
    expect(replaced.values.map(text)).toEqual(['replaced']);
    expect((await rawRequest(port(1), 'DELETE', '/v1/keys/ctx:kept?w=3', { 'X-Dynalab-Context': replaced.context })).status).toBe(204);
    expect((await client.get('ctx:kept', { r: 3 })).found).toBe(false);
  });
});
