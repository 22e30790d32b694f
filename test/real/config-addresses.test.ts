import { describe, expect, it } from 'vitest';
import { configProblems } from './harness';

// The addresses in a node config must agree: the node binds listen.tcp, and its peers dial its entry in
// members. A mismatch, or two members on one address, is refused like every other config mistake.

const config = (listenTcp: string, memberB = '127.0.0.1:9002') => `id: a
listen:
  http: 127.0.0.1:8001
  tcp: "${listenTcp}"
dataDir: ./data/a
secret: 0123456789abcdef0123
members:
  - { id: a, tcp: 127.0.0.1:9001 }
  - { id: b, tcp: "${memberB}" }
  - { id: c, tcp: 127.0.0.1:9003 }
n: 3
`;

const problems = configProblems;

describe('node config addresses', () => {
  it('rejects a listen.tcp port that differs from the node\'s own entry in members, naming line and field', () => {
    expect(problems(config('127.0.0.1:9005'))).toEqual([
      "node-a.yaml:4:8: listen.tcp: port 9005 differs from this node's entry in members (members.0.tcp: 127.0.0.1:9001), the address peers dial; make them agree",
    ]);
  });

  it('compares hosts only when listen names one IP address: all interfaces and host names are fine', () => {
    expect(problems(config('127.0.0.1:9001'))).toEqual([]);
    expect(problems(config('0.0.0.0:9001'))).toEqual([]);
    expect(problems(config('[::]:9001'))).toEqual([]);
    expect(problems(config('node-a.internal:9001'))).toEqual([]); // cannot be compared without DNS
    expect(problems(config('0.0.0.0:9009'))).toEqual([expect.stringMatching(/^node-a\.yaml:4:8: listen\.tcp: port 9009 differs/)]);
    expect(problems(config('10.0.0.7:9001'))).toEqual([
      "node-a.yaml:4:8: listen.tcp: address 10.0.0.7 differs from this node's entry in members (members.0.tcp: 127.0.0.1:9001), the address peers dial; make them agree (or listen on 0.0.0.0:9001 to bind every interface)",
    ]);
  });

  it('rejects two members with the same tcp address', () => {
    expect(problems(config('127.0.0.1:9001', '127.0.0.1:9001'))).toEqual([
      "node-a.yaml:9:19: members.1.tcp: 'b' has the same tcp address as 'a' (members.0.tcp: 127.0.0.1:9001); every member needs its own",
    ]);
    expect(problems(config('127.0.0.1:9001', '127.0.0.1:9003'))).toEqual([
      "node-a.yaml:10:19: members.2.tcp: 'c' has the same tcp address as 'b' (members.1.tcp: 127.0.0.1:9003); every member needs its own",
    ]);
    expect(problems(config('127.0.0.1:9001', '127.0.0.2:9001'))).toEqual([]); // same port, other host: fine
  });

  it('takes an IPv4-mapped IPv6 address in brackets, and sees it is the IPv4 address it maps', () => {
    // Before: "expected host:port" (no dots allowed inside brackets), though the address comparison handles them.
    expect(problems(config('127.0.0.1:9001', '[::ffff:127.0.0.2]:9001'))).toEqual([]);
    expect(problems(config('127.0.0.1:9001', '[::ffff:127.0.0.1]:9001'))).toEqual([
      "node-a.yaml:9:19: members.1.tcp: 'b' has the same tcp address as 'a' (members.0.tcp: 127.0.0.1:9001); every member needs its own",
    ]);
    expect(problems(config('[::ffff:127.0.0.1]:9001'))).toEqual([]); // listen and the member entry agree
    expect(problems(config('127.0.0.1:9001', '[::1]:9002'))).toEqual([]);
    // Brackets hold an IPv6 address, nothing else.
    expect(problems(config('127.0.0.1:9001', '[1.2.3.4]:9002'))).toEqual([
      'node-a.yaml:9:19: members.1.tcp: not an IPv6 address inside the brackets',
    ]);
    expect(problems(config('127.0.0.1:9001', '[:::]:9002'))).toEqual([
      'node-a.yaml:9:19: members.1.tcp: not an IPv6 address inside the brackets',
    ]);
  });
});
