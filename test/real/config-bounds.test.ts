import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { nodeConfigSchema, parseNodeConfig } from '../../real/node-config';
import { configProblems } from './harness';

// Config mistakes a review found accepted (each refused now, naming the line and field): a member weight with
// no upper bound (1e6 took 12 s and 1.3 GB to start, 1e8 crashed with "Invalid typed array length"), the HTTP
// API on the node port (a misleading "address already in use (another process…)" after the node had opened
// its storage), and `dataDir: ~/data`, which became <config dir>/~/data without a word.

const config = (over: { listen?: string; members?: string; dataDir?: string; vnodes?: number } = {}) => `id: a
listen: ${over.listen ?? '{ http: 127.0.0.1:8001, tcp: 127.0.0.1:9001 }'}
dataDir: ${over.dataDir ?? './data/a'}
secret: 0123456789abcdef0123
members:
${over.members ?? '  - { id: a, tcp: 127.0.0.1:9001 }\n  - { id: b, tcp: 127.0.0.1:9002 }'}
n: 2
r: 1
w: 1
${over.vnodes === undefined ? '' : `vnodes: ${over.vnodes}\n`}`;

const problems = configProblems;

describe('member weight is bounded', () => {
  it('refuses a weight that gives one member more than 65 536 vnodes, naming members.N.weight and the largest weight allowed', () => {
    const members = (weight: string) => `  - { id: a, tcp: 127.0.0.1:9001 }\n  - { id: b, tcp: 127.0.0.1:9002, weight: ${weight} }`;
    expect(problems(config({ members: members('1024') }))).toEqual([]); // 64 × 1024 = 65 536: the cap itself
    expect(problems(config({ members: members('1000000') }))).toEqual([
      'node-a.yaml:7:43: members.1.weight: weight 1000000 gives member \'b\' 64000000 vnodes (vnodes 64 × weight); at most 65536 per member — with vnodes 64 a weight of at most 1024 (weights are relative: scale them all down together)',
    ]);
    expect(problems(config({ members: members('1e308') }))).toEqual([expect.stringMatching(/^node-a\.yaml:7:43: members\.1\.weight: weight 1e\+308 gives member 'b' Infinity vnodes/)]);
    // With more vnodes per unit of weight the bound on the weight is lower.
    expect(problems(config({ members: members('17'), vnodes: 4096 }))).toEqual([
      expect.stringMatching(/members\.1\.weight: weight 17 gives member 'b' 69632 vnodes \(vnodes 4096 × weight\); at most 65536 per member — with vnodes 4096 a weight of at most 16 /),
    ]);
  });

  it('refuses a ring of more than 1 048 576 vnodes in all, naming members', () => {
    const many = Array.from({ length: 17 }, (_, i) => `  - { id: m${i}, tcp: 127.0.0.1:${9001 + i}, weight: 16 }`).join('\n');
    const text = config({ members: many, vnodes: 4096 }).replace('id: a\n', 'id: m0\n');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^node-a\.yaml:6:3: members: the ring would have 1114112 vnodes \(vnodes 4096 × the members' weights\); at most 1048576: lower vnodes or the weights/),
    ]);
  });

  it('the schema alone (deploy, tests) refuses it too', () => {
    const result = nodeConfigSchema.safeParse({
      id: 'a', listen: { http: '127.0.0.1:8001', tcp: '127.0.0.1:9001' }, dataDir: '/d', secret: '0123456789abcdef0123',
      members: [{ id: 'a', tcp: '127.0.0.1:9001', weight: 1e8 }], n: 1, r: 1, w: 1,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['members.0.weight']);
  });
});

describe('listen.http and listen.tcp', () => {
  it('refuses the same address for both, naming listen.http', () => {
    expect(problems(config({ listen: '{ http: 127.0.0.1:9001, tcp: 127.0.0.1:9001 }' }))).toEqual([
      'node-a.yaml:2:17: listen.http: same address as listen.tcp (127.0.0.1:9001); give the HTTP API a port of its own',
    ]);
    // The same port with a wildcard on either side overlaps too (0.0.0.0 binds 127.0.0.1 as well).
    expect(problems(config({ listen: '{ http: 0.0.0.0:9001, tcp: 127.0.0.1:9001 }' }))).toEqual([
      'node-a.yaml:2:17: listen.http: 0.0.0.0:9001 overlaps listen.tcp (127.0.0.1:9001): same port, and 0.0.0.0 binds every address; give the HTTP API a port of its own',
    ]);
    expect(problems(config({ listen: '{ http: "[::ffff:127.0.0.1]:9001", tcp: 127.0.0.1:9001 }' }))).toEqual([
      expect.stringMatching(/^node-a\.yaml:2:17: listen\.http: same address as listen\.tcp/),
    ]);
    // The same port on two specific addresses is two sockets: fine.
    expect(problems(config({ listen: '{ http: 127.0.0.2:9001, tcp: 127.0.0.1:9001 }' }))).toEqual([]);
  });

  it('refuses two members with one http address, and a member http address that is a member tcp address', () => {
    const members = '  - { id: a, tcp: 127.0.0.1:9001, http: 127.0.0.1:8001 }\n  - { id: b, tcp: 127.0.0.1:9002, http: 127.0.0.1:8001 }';
    expect(problems(config({ members }))).toEqual([
      "node-a.yaml:7:41: members.1.http: 'b' has the same http address as 'a' (members.0.http: 127.0.0.1:8001); every member needs its own",
    ]);
    const onTcp = '  - { id: a, tcp: 127.0.0.1:9001, http: 127.0.0.1:8001 }\n  - { id: b, tcp: 127.0.0.1:9002, http: 127.0.0.1:9001 }';
    expect(problems(config({ members: onTcp }))).toEqual([
      "node-a.yaml:7:41: members.1.http: 'b' has its http address on the tcp address of 'a' (members.0.tcp: 127.0.0.1:9001); every address serves one purpose",
    ]);
  });
});

describe('dataDir with a ~', () => {
  it('is refused with the path it would have meant, not resolved to <config dir>/~/data', () => {
    expect(problems(config({ dataDir: '~/data' }))).toEqual([
      `node-a.yaml:3:10: dataDir: '~' is not expanded here (this would be /srv/~/data); write the path in full, e.g. ${os.homedir()}/data, or ./~/data for a directory named ~`,
    ]);
    expect(problems(config({ dataDir: '"~"' }))).toEqual([expect.stringMatching(/^node-a\.yaml:3:10: dataDir: '~' is not expanded here \(this would be \/srv\/~\)/)]);
    // Unquoted, ~ is YAML's null: said so, not only "received null".
    expect(problems(config({ dataDir: '~' }))).toEqual([
      'node-a.yaml:3:10: dataDir: Invalid input: expected string, received null (YAML reads a bare ~ or an empty value as null; quote a value meant as text)',
    ]);
    expect(problems(config({ dataDir: '~bob/data' }))).toEqual([expect.stringMatching(/dataDir: '~' is not expanded here/)]);
    // A ~ later in the path, or made explicit, is a name like any other.
    expect(parseNodeConfig(config({ dataDir: './~/data' }), 'node-a.yaml', '/srv').dataDir).toBe('/srv/~/data');
    expect(parseNodeConfig(config({ dataDir: 'data~1' }), 'node-a.yaml', '/srv').dataDir).toBe('/srv/data~1');
  });
});
