import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../core/storage';
import { nativeCrc32 } from '../../real/native-crc32';

/**
 * The storage engine accepts an injected CRC-32 for SSTable blocks on the promise that it computes exactly the
 * same function as core's pure one — a table written with either must verify under the other (the simulator
 * and tests use the pure one, real nodes the native one, and data moves between them).
 */
describe('native CRC-32 (zlib) against core crc32', () => {
  it('agrees on the standard check value', () => {
    const digits = new TextEncoder().encode('123456789');
    expect(crc32(digits, 0, digits.length)).toBe(0xcbf43926);
    expect(nativeCrc32(digits, 0, digits.length)).toBe(0xcbf43926);
  });

  it('agrees on arbitrary byte ranges, aligned or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % bytes.length;
        const end = start + (bytes.length === start ? 0 : b % (bytes.length - start + 1));
        expect(nativeCrc32(bytes, start, end)).toBe(crc32(bytes, start, end));
      }),
      { numRuns: 300 },
    );
  });

  it('detects a single flipped bit (the reason it is there)', () => {
    const block = new Uint8Array(4096).map((_, i) => (i * 7) & 0xff);
    const before = nativeCrc32(block, 0, block.length);
    block[1234]! ^= 0x10;
    expect(nativeCrc32(block, 0, block.length)).not.toBe(before);
  });
});
