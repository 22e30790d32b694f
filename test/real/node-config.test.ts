import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../../real/node-config';
import { configProblems } from './harness';
import { SystemRandom } from '../../real/system-random';

const GOOD = `id: a
listen:
  http: 127.0.0.1:8001
  tcp: 127.0.0.1:9001
dataDir: ./data/a
secret: 0123456789abcdef0123
members:
  - { id: a, tcp: 127.0.0.1:9001 }
  - { id: b, tcp: 127.0.0.1:9002 }
  - { id: c, tcp: 127.0.0.1:9003 }
n: 3
r: 2
w: 2
`;

const problems = configProblems;

describe('node config (YAML + zod)', () => {
  it('accepts a good file, applies defaults and resolves dataDir against the file', () => {
    const config = parseNodeConfig(GOOD, 'node-a.yaml', '/srv');
    expect(config.dataDir).toBe('/srv/data/a');
    expect(config.conflict).toBe('vclock');
    expect(config.vnodes).toBe(64);
  });

  it('names the file, line and field of every problem', () => {
    const bad = GOOD.replace('tcp: 127.0.0.1:9002', 'tcp: localhost').replace('r: 2', 'r: 4').replace('secret: 0123456789abcdef0123', 'secret: short');
    const found = problems(bad);
    expect(found).toContainEqual(expect.stringMatching(/^node-a\.yaml:9:\d+: members\.1\.tcp: expected host:port/));
    expect(found).toContainEqual(expect.stringMatching(/^node-a\.yaml:12:\d+: r: r=4 cannot exceed n=3/));
    expect(found).toHaveLength(3);
    expect(found).toContainEqual(expect.stringMatching(/^node-a\.yaml:6:\d+: secret: the cluster secret must be at least 16 characters/));
  });

  it('reports the checks across fields in the same round as field errors, however bad the rest is', () => {
    // Found by a user review: with an unknown key and a bad enum in the file, r > n, a duplicate address and an
    // id missing from members showed up only after every field error had been fixed.
    const bad = GOOD.replace('id: a\n', 'id: x\n').replace('tcp: 127.0.0.1:9002', 'tcp: 127.0.0.1:9001').replace('r: 2', 'r: 4')
      .replace('secret: 0123456789abcdef0123', 'secret: short') + 'vnode: 64\nconflict: crdt\n';
    const found = problems(bad);
    expect(found).toContainEqual(expect.stringMatching(/: \(top level\): Unrecognized key: "vnode"/));
    expect(found).toContainEqual(expect.stringMatching(/: conflict: Invalid option/));
    expect(found).toContainEqual(expect.stringMatching(/^node-a\.yaml:1:\d+: id: node 'x' is not in members \(a, b, c\)/));
    expect(found).toContainEqual(expect.stringMatching(/^node-a\.yaml:9:\d+: members\.1\.tcp: 'b' has the same tcp address as 'a'/));
    expect(found).toContainEqual(expect.stringMatching(/^node-a\.yaml:12:\d+: r: r=4 cannot exceed n=3/));
    expect(new Set(found).size).toBe(found.length); // each once
  });

  it('rejects a node missing from its own member list, duplicate members, unknown fields and broken YAML', () => {
    expect(problems(GOOD.replace('id: a\n', 'id: z\n'))).toContainEqual(expect.stringMatching(/id: node 'z' is not in members \(a, b, c\)/));
    expect(problems(GOOD.replace('id: c,', 'id: b,'))).toContainEqual(expect.stringMatching(/members\.2\.id: member 'b' is listed twice/));
    expect(problems(`${GOOD}colour: blue\n`)).toContainEqual(expect.stringMatching(/^node-a\.yaml:14:1: \(top level\): .*colour/));
    expect(problems('id: [a\n')[0]).toMatch(/^node-a\.yaml:\d+:\d+: YAML: /);
  });
});

describe('node config: unclear refusals and acceptances found by a review', () => {
  it('refuses a secret that is only whitespace, or has whitespace at either end, naming the field', () => {
    // 16 spaces passed the length check and started a node.
    expect(problems(GOOD.replace('secret: 0123456789abcdef0123', 'secret: "                "'))).toEqual([
      'node-a.yaml:6:9: secret: the cluster secret is only whitespace; use a long random string',
    ]);
    for (const padded of ['" 0123456789abcdef0123"', '"0123456789abcdef0123\\t"']) {
      expect(problems(GOOD.replace('secret: 0123456789abcdef0123', `secret: ${padded}`))).toEqual([
        expect.stringMatching(/^node-a\.yaml:6:9: secret: the cluster secret begins or ends with whitespace/),
      ]);
    }
    expect(problems(GOOD.replace('secret: 0123456789abcdef0123', 'secret: "0123456789 abcdef0123"'))).toEqual([]); // inside is fine
    expect(problems(GOOD.replace('secret: 0123456789abcdef0123', 'secret: ""'))).toEqual([
      'node-a.yaml:6:9: secret: the cluster secret must be at least 16 characters',
    ]);
  });

  it('skips the checks across fields that read an invalid field: n: 0 is reported once, not as r and w too', () => {
    // Before: also "r: r=2 cannot exceed n=0" and "w: …" at 1:1, about defaults that are not in the file.
    expect(problems(GOOD.replace('n: 3\nr: 2\nw: 2\n', 'n: 0\n'))).toEqual(['node-a.yaml:11:4: n: Too small: expected number to be >=1']);
    // And an empty member list is that problem, not also "node 'a' is not in members ()".
    expect(problems('id: a\nlisten: { http: 127.0.0.1:8001, tcp: 127.0.0.1:9001 }\ndataDir: ./d\nsecret: 0123456789abcdef-secret\nmembers: []\nn: 1\nr: 1\nw: 1\n')).toEqual([
      'node-a.yaml:5:10: members: Too small: expected array to have >=1 items',
    ]);
    // A valid n with a default r above it is still refused, saying the r is the default.
    expect(problems(GOOD.replace('n: 3\nr: 2\nw: 2\n', 'n: 1\nw: 1\n'))).toEqual([
      "node-a.yaml:1:1: r: r=2 cannot exceed n=1 (r is not in the file: that is its default; set r)",
    ]);
  });
});

describe('SystemRandom', () => {
  it('draws in range, and fork(label) depends only on the seed and the label', () => {
    const random = new SystemRandom();
    for (let i = 0; i < 1000; i++) {
      const x = random.int(7);
      expect(x >= 0 && x < 7 && Number.isInteger(x)).toBe(true);
    }
    const a = new SystemRandom('seed-1');
    const b = new SystemRandom('seed-1');
    a.next();
    a.next(); // drawing from the parent must not shift the child
    expect(a.fork('node').next()).toBe(b.fork('node').next());
    expect(a.fork('node').next()).not.toBe(a.fork('disk').next());
    expect(new SystemRandom().seed).not.toBe(new SystemRandom().seed);
    expect(() => random.int(0)).toThrow(RangeError);
  });
});
