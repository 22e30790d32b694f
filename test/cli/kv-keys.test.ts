import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyArgument, listedKey } from '../../cli/commands/kv';
import { clusterForFile, text } from '../real/harness';

// How `dynalab kv` names keys. Found by a review: `kv list` printed the bytes `zz\xFF` and the 5-character
// text key `zz%FF` the same way (`zz%FF`), and nothing typed on the command line reached the 0xFF key; and the
// keys `.` and `..` could not be read or written at all (fetch removed them from the path as dot segments).

const cluster = clusterForFile({ nodes: 3 });
const root = resolve(__dirname, '../..');
const endpoint = () => cluster().configs[0]!.listen.http;

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * `dynalab kv …` as a user runs it, against this file's cluster. Asynchronous (spawnSync would block this
 * process, which is where the cluster's nodes run), and bounded: a hung command fails the test, not the run.
 */
function kv(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'bin/dynalab.js'), 'kv', ...args, '--endpoint', endpoint()], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

const bytes = (...parts: (string | number)[]) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : [p])));

describe('kv list names every key unambiguously (unit)', () => {
  it('UTF-8 text without % or control characters prints as itself; any other key percent-encoded', () => {
    expect(listedKey('user:7')).toEqual({ text: 'user:7', encoded: false });
    expect(listedKey('a%2Fb%20c')).toEqual({ text: 'a/b c', encoded: false });
    expect(listedKey('zz%C3%A9')).toEqual({ text: 'zzé', encoded: false });
    // The two keys the review found printed alike.
    expect(listedKey('zz%FF')).toEqual({ text: 'zz%FF', encoded: true });
    expect(listedKey('zz%25FF')).toEqual({ text: 'zz%25FF', encoded: true });
    expect(listedKey('zz%0A')).toEqual({ text: 'zz%0A', encoded: true });
    expect(listedKey('zz%C2%85')).toEqual({ text: 'zz%C2%85', encoded: true }); // U+0085, a C1 control
  });

  it('--encoded takes a key percent-encoded; without it the key is the text typed', () => {
    expect(keyArgument('zz%FF', true)).toEqual(bytes('zz', 0xff));
    expect(keyArgument('zz%25FF', true)).toEqual(bytes('zz%FF'));
    expect(keyArgument('zzé', true)).toEqual(bytes('zzé'));
    expect(keyArgument('zz%FF', false)).toBe('zz%FF');
    expect(() => keyArgument('zz%G1', true)).toThrow(/--encoded key 'zz%G1': malformed percent-escape '%G1'/);
  });
});

describe('kv get/put/delete/list against a real cluster', () => {
  it('reaches the keys . and .. (and %2E, given --encoded)', async () => {
    const client = cluster().clients[1]!;
    await client.put('..', 'two dots');
    const [put, get] = await Promise.all([kv('put', '.', 'one dot'), kv('get', '..', '--raw')]);
    expect(put.code, put.stderr).toBe(0);
    expect(text((await client.get('.')).values[0]!)).toBe('one dot');
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout.toString('utf8')).toBe('two dots');
    const [viaEscape, deleted] = await Promise.all([kv('get', '--encoded', '%2E', '--raw'), kv('delete', '..')]);
    expect(viaEscape.stdout.toString('utf8'), viaEscape.stderr).toBe('one dot');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await client.get('..')).found).toBe(false);
  }, 240_000);

  it('lists the 0xFF key and the text key "zz%FF" differently, and every listed line addresses its key with --encoded', async () => {
    const client = cluster().clients[0]!;
    const keys: [Uint8Array, string][] = [
      [bytes('zz', 0x01), 'control'],
      [bytes('zz%FF'), 'literal'],
      [bytes('zzé'), 'accent'],
      [bytes('zz', 0xff), 'binary'],
    ];
    for (const [key, value] of keys) await client.put(key, value);
    const list = await kv('list', 'zz');
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.toString('utf8').trimEnd().split('\n');
    expect(lines).toEqual(['zz%01', 'zz%25FF', 'zzé', 'zz%FF']);
    expect(list.stderr).toMatch(/4 keys from 3 of 3 nodes; 3 shown percent-encoded .*--encoded/);
    const reads = await Promise.all(lines.map((line) => kv('get', '--encoded', line, '--raw')));
    expect(reads.map((r) => r.stdout.toString('utf8'))).toEqual(['control', 'literal', 'accent', 'binary']);
    // Without --encoded a key is the text typed, as before; when that finds nothing, the answer says so.
    const [literal, missing] = await Promise.all([kv('get', 'zz%FF', '--raw'), kv('get', 'zz%FE')]);
    expect(literal.stdout.toString('utf8'), literal.stderr).toBe('literal');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^not found.*'zz%FE' was taken as text — for the key it percent-encodes, add --encoded$/m);
    // put and delete take --encoded too, and list takes its prefix that way.
    const [put, deleted, binaryOnly] = await Promise.all([
      kv('put', '--encoded', 'zz%FE', 'written'),
      kv('delete', '--encoded', 'zz%01'),
      kv('list', '--encoded', 'zz%FF'),
    ]);
    expect(put.code, put.stderr).toBe(0);
    expect(text((await client.get(bytes('zz', 0xfe))).values[0]!)).toBe('written');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await client.get(bytes('zz', 0x01))).found).toBe(false);
    expect((await client.get(bytes('zz%FF'))).found).toBe(true);
    expect(binaryOnly.stdout.toString('utf8')).toBe('zz%FF\n');
  }, 240_000);

  it('a malformed --encoded key is named; the help says how keys are printed and typed', async () => {
    const [bad, help] = await Promise.all([kv('get', '--encoded', 'zz%G1'), kv('list', '--help')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--encoded key 'zz%G1': malformed percent-escape '%G1'/);
    expect(help.stdout.toString('utf8')).toMatch(/--encoded/);
    expect(help.stdout.toString('utf8')).toMatch(/contains %.*percent-encoded|percent-encoded.*contains %/s);
  }, 240_000);
});

describe('kv messages name the value typed', () => {
  it('a ttl under 1 µs, a quorum or limit of more than 9 digits, a ttl past 50 years', async () => {
    const runs = await Promise.all([
      kv('put', 't', 'v', '--ttl', '0.0000001'),
      kv('put', 't', 'v', '--w', '9999999999'),
      kv('list', '--limit', '1000000000'),
      kv('put', 't', 'v', '--ttl', '99999999999999999999'),
    ]);
    for (const run of runs) expect(run.code, run.stderr).not.toBe(0);
    const [tiny, w, limit, long] = runs.map((r) => r.stderr) as [string, string, string, string];
    expect(tiny).toMatch(/--ttl 0\.0000001: .*0\.000001 s/);
    expect(tiny).not.toMatch(/ttl=0\b/);
    expect(w).toMatch(/--w 9999999999: .*between 1 and n/);
    expect(limit).toMatch(/--limit 1000000000: .*between 1 and 100000/);
    expect(long).toMatch(/--ttl 99999999999999999999: too long.*50 years/);
    for (const message of [w, limit]) expect(message).not.toMatch(/digits only/);
    expect((await cluster().clients[0]!.get('t')).found).toBe(false);
  }, 240_000);

  it('the client refuses a ttl that rounds to 0 µs by the value given, and sends a large one digit for digit', async () => {
    const client = cluster().clients[0]!;
    await expect(client.put('t', 'v', { ttlSeconds: 1e-7 })).rejects.toThrow(/ttlSeconds 1e-7 .*0\.000001 s/);
    await expect(client.put('t', 'v', { ttlSeconds: 1e21 })).rejects.toThrow(/ttl=1000000000000000000000 is too long/);
    expect((await client.get('t')).found).toBe(false);
  });
});
