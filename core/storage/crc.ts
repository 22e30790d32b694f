/**
 * The two 32-bit CRCs the storage engine writes: CRC-32C (Castagnoli) on every WAL record and the manifest,
 * CRC-32 (IEEE 802.3, zlib's polynomial) on every block of SSTable format 3.
 *
 * Written here rather than taken from node:zlib because core/ may not touch the world. Castagnoli is what
 * LevelDB/RocksDB use for logs and detects more error patterns in short records. SSTables use the IEEE
 * polynomial for a practical reason: Node ships a native CRC-32 (`zlib.crc32`, ~1 µs for a 4 KiB block against
 * ~3.4 µs here), so real mode injects it through `StorageEnvironment.crc32` and a point read that misses the
 * block cache spends a third as long verifying the block. The injected function must return exactly what
 * `crc32` below returns (a contract test checks zlib's against it); the simulator and tests use this one.
 *
 * Both are slicing-by-8 (eight 256-entry tables, kept in one Int32Array), eight bytes per step. On
 * little-endian hosts (all Node platforms in practice; checked at load) the eight bytes are read as two 32-bit
 * words through an Int32Array view once the position is 4-byte aligned — about 1.6× the speed of assembling
 * each word from four byte loads (4 KiB: ~2.7 µs against ~4.5 µs on the 2-core machine).
 */

/** A 32-bit checksum of `data[start, end)`. */
export type Checksum32 = (data: Uint8Array, start: number, end: number) => number;

/** A CRC function over `data[start, end)`, continuing from `previous` (0 to start fresh). */
type Crc = (data: Uint8Array, start?: number, end?: number, previous?: number) => number;

/** Byte order of this machine's typed arrays (shared by every word-at-a-time byte trick in core). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this many bytes a word view costs more than it saves. */
const WORD_PATH_MIN = 64;

/** CRC-32C (Castagnoli, reflected polynomial 0x82f63b78). */
export const crc32c: Crc = makeCrc(0x82f63b78);

/** CRC-32 (IEEE 802.3 / zlib, reflected polynomial 0xedb88320). */
export const crc32: Crc = makeCrc(0xedb88320);

/** Builds the slicing-by-8 tables for a reflected polynomial and returns the CRC over them. */
function makeCrc(polynomial: number): Crc {
  /** Table t, entry n at T[t * 256 + n]. */
  const T = ((): Int32Array => {
    const table = new Int32Array(8 * 256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
      table[n] = c;
    }
    for (let t = 1; t < 8; t++) {
      for (let n = 0; n < 256; n++) {
        const previous = table[(t - 1) * 256 + n]!;
        table[t * 256 + n] = (previous >>> 8) ^ table[previous & 0xff]!;
      }
    }
    return table;
  })();

  /** Bytes one at a time up to a 4-byte boundary of the underlying buffer, then two 32-bit words per step. */
  function crcWords(data: Uint8Array, start: number, end: number, initial: number): number {
    let crc = initial;
    let i = start;
    const base = data.byteOffset;
    while (((base + i) & 3) !== 0) crc = T[(crc ^ data[i++]!) & 0xff]! ^ (crc >>> 8);
    const count = ((end - i) >>> 3) * 2;
    const words = new Int32Array(data.buffer, base + i, count);
    for (let j = 0; j < count; j += 2) {
      const a = crc ^ words[j]!;
      const b = words[j + 1]!;
      crc =
        T[1792 + (a & 0xff)]! ^
        T[1536 + ((a >>> 8) & 0xff)]! ^
        T[1280 + ((a >>> 16) & 0xff)]! ^
        T[1024 + (a >>> 24)]! ^
        T[768 + (b & 0xff)]! ^
        T[512 + ((b >>> 8) & 0xff)]! ^
        T[256 + ((b >>> 16) & 0xff)]! ^
        T[b >>> 24]!;
    }
    i += count * 4;
    while (i < end) crc = T[(crc ^ data[i++]!) & 0xff]! ^ (crc >>> 8);
    return ~crc >>> 0;
  }

  /** Eight bytes per step, each word assembled from byte loads (short inputs, big-endian hosts). */
  function crcBytes(data: Uint8Array, start: number, end: number, initial: number): number {
    let crc = initial;
    let i = start;
    const fastEnd = end - 8;
    while (i <= fastEnd) {
      const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      crc =
        T[1792 + (a & 0xff)]! ^
        T[1536 + ((a >>> 8) & 0xff)]! ^
        T[1280 + ((a >>> 16) & 0xff)]! ^
        T[1024 + (a >>> 24)]! ^
        T[768 + data[i + 4]!]! ^
        T[512 + data[i + 5]!]! ^
        T[256 + data[i + 6]!]! ^
        T[data[i + 7]!]!;
      i += 8;
    }
    while (i < end) crc = T[(crc ^ data[i++]!) & 0xff]! ^ (crc >>> 8);
    return ~crc >>> 0;
  }

  return (data: Uint8Array, start = 0, end = data.length, previous = 0): number =>
    LITTLE_ENDIAN && end - start >= WORD_PATH_MIN ? crcWords(data, start, end, ~previous) : crcBytes(data, start, end, ~previous);
}
