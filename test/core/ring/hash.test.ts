import { describe, expect, it } from 'vitest';
import { murmur3_32, keyPosition, utf8 } from '../../../core/ring';

describe('MurmurHash3_x86_32', () => {
  it('matches the SMHasher reference verification value 0xB0F57EE3', () => {
    // SMHasher's VerificationTest: hash {}, {0}, {0,1}, … {0..254} with seed 256-i, concatenate the 256
    // little-endian results, hash that with seed 0; the first 4 bytes read little-endian are the check value.
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(256 * 4);
    const view = new DataView(hashes.buffer);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      view.setUint32(i * 4, murmur3_32(key.subarray(0, i), 256 - i), true);
    }
    expect(murmur3_32(hashes, 0)).toBe(0xb0f57ee3);
  });

  it('matches published test vectors (empty input, seeds, tails of 1–3 bytes)', () => {
    expect(murmur3_32(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3_32(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3_32(new Uint8Array(0), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3_32(new Uint8Array([0, 0, 0, 0]), 0)).toBe(0x2362f9de);
    expect(murmur3_32(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0x5082edee)).toBe(0x2362f9de);
    expect(murmur3_32(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
    expect(murmur3_32(new Uint8Array([0x21, 0x43]), 0)).toBe(0xa0f7b07a);
    expect(murmur3_32(new Uint8Array([0x21]), 0)).toBe(0x72661cf4);
    expect(murmur3_32(utf8('aaaa'), 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3_32(utf8('Hello, world!'), 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3_32(utf8('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('keyPosition is murmur3 with seed 0 and stays in [0, 2^32)', () => {
    const p = keyPosition(utf8('user:42'));
    expect(p).toBe(murmur3_32(utf8('user:42'), 0));
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(2 ** 32);
  });
});
