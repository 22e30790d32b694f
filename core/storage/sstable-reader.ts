import type { Disk } from '../env';
import type { BlockCache } from './block-cache';
import { BloomFilter } from './bloom';
import { ByteReader, commonPrefixLength, compareBytes, POW2, prefixNumber } from './bytes';
import { crc32, crc32c, type Checksum32 } from './crc';
import { KIND_DELETE, KIND_PUT, type Entry, type EntryKind } from './entry';
import { StorageCorruptionError } from './errors';
import { ENTRY_TRAILER_BYTES, FOOTER_BYTES, FORMAT_VERSION, FORMAT_VERSION_CRC32C, FORMAT_VERSION_WHOLE_BLOCK_CRC, MAGIC_HIGH, MAGIC_LOW } from './sstable-writer';

const EMPTY = new Uint8Array(0);
const TWO_32 = 0x1_0000_0000;

function u32At(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

/** Just past the last byte read by the most recent `varintAt` (a second return value without an allocation). */
let varintEnd = 0;

/**
 * The varint at `at`, reading no byte at or past `limit`; NaN if it runs into `limit` or past 35 bits. Every
 * reader of entries in a block goes through this one loop: verified blocks (where it never fails), the
 * structure check (which turns NaN into an error) and the unverified point-read path.
 */
function varintAt(data: Uint8Array, at: number, limit: number): number {
  let value = 0;
  for (let shift = 0; shift <= 28 && at < limit; shift += 7) {
    const b = data[at++]!;
    value += (b & 0x7f) * POW2[shift]!;
    if (b < 0x80) {
      varintEnd = at;
      return value;
    }
  }
  varintEnd = at;
  return Number.NaN;
}

/**
 * memcmp(key of the entry starting at `start`, key), the entry's bytes lying before `limit`; NaN if its key
 * would run past `limit` (possible only in a block that has not been verified).
 */
function compareKeyAt(data: Uint8Array, start: number, limit: number, key: Uint8Array): number {
  const length = varintAt(data, start + 17, limit);
  const at = varintEnd;
  if (!(at + length <= limit)) return Number.NaN;
  const n = length < key.length ? length : key.length;
  for (let j = 0; j < n; j++) {
    const d = data[at + j]! - key[j]!;
    if (d !== 0) return d;
  }
  return length - key.length;
}

/** Where the value of the entry most recently decoded by `entryAt` ends (a second return value, as varintEnd). */
let entryValueEnd = 0;

/**
 * The entry starting at `start`, its bytes lying before `limit`; undefined if a length runs past `limit`. Key
 * and value are views into `data` — except that a caller who has already compared the key equal passes it as
 * `knownKey`, and no view of it is made.
 */
function entryAt(data: Uint8Array, start: number, limit: number, knownKey?: Uint8Array): Entry | undefined {
  const keyLength = varintAt(data, start + 17, limit);
  const keyAt = varintEnd;
  const valueLength = varintAt(data, keyAt + keyLength, limit);
  const valueAt = varintEnd;
  if (!(valueAt + valueLength <= limit)) return undefined;
  entryValueEnd = valueAt + valueLength;
  return {
    kind: data[start]! as EntryKind,
    seq: u32At(data, start + 5) * TWO_32 + u32At(data, start + 1),
    time: u32At(data, start + 13) * TWO_32 + u32At(data, start + 9),
    key: knownKey ?? data.subarray(keyAt, keyAt + keyLength),
    value: valueLength === 0 ? EMPTY : data.subarray(valueAt, valueAt + valueLength),
  };
}

/**
 * A verified data block (format in sstable-writer.ts): its checksum matched and its structure was checked
 * once when it was read — offsets in range and increasing, every entry well formed and ending where the next
 * begins, keys strictly increasing, the last key equal to the index's — so lookups here need no bounds checks.
 * Entries are decoded on demand, as views into the block; the block cache holds these, one object per block.
 */
export class DataBlock {
  constructor(
    /** The block without its trailing CRC. */
    readonly data: Uint8Array,
    readonly count: number,
    /** Where the entry offsets start (= end of the last entry). */
    private readonly offsetsAt: number,
    /** Bytes of checksum after each entry: 4 in formats 3 and 4, 0 in format 2. */
    readonly trailerBytes: number,
  ) {}

  /** End of entry i within the block, its checksum trailer included (the next entry's start). */
  entryEnd(i: number): number {
    return i + 1 < this.count ? this.entryStart(i + 1) : this.offsetsAt;
  }

  /** Start of entry i within the block. */
  entryStart(i: number): number {
    return u32At(this.data, this.offsetsAt + 4 * i);
  }

  /** memcmp(key of entry i, key). */
  compareKey(i: number, key: Uint8Array): number {
    return compareKeyAt(this.data, this.entryStart(i), this.offsetsAt, key);
  }

  /** Index of the first entry whose key is ≥ key (count when none). */
  lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareKey(mid, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Entry i, decoded; key and value are views into the block. */
  entry(i: number): Entry {
    return entryAt(this.data, this.entryStart(i), this.offsetsAt)!;
  }
}

/** A format-4 entry whose own checksum does not match (reported as damage, not as malformed structure). */
class EntryChecksumMismatch extends Error {}

/**
 * Checks a data block's structure; throws RangeError on anything a correct writer could not have produced.
 * `trailerBytes`: the per-entry checksum after each entry (4 in formats 3 and 4). With `entryChecksum`
 * (format 4, whose block checksum covered only the offsets), each entry's checksum is checked here too, as
 * soon as its extent is known and before any of its bytes are read — throwing EntryChecksumMismatch — so
 * the block is walked once. The caller compares the returned last key with the index's.
 * (No closures in here: this runs for every block a get reads.)
 */
function parseDataBlock(data: Uint8Array, trailerBytes: number, entryChecksum: Checksum32 | null): { block: DataBlock; lastKeyStart: number; lastKeyLength: number } {
  const length = data.length;
  if (length < 4) throw new RangeError('block too short for its entry count');
  const count = u32At(data, length - 4);
  if (count === 0) throw new RangeError('block holds no entries');
  if (count > (length - 4) / 4) throw new RangeError(`entry count ${count} does not fit the block`);
  const offsetsAt = length - 4 - 4 * count;
  let previousKeyStart = -1;
  let previousKeyLength = 0;
  let expectedStart = 0;
  for (let i = 0; i < count; i++) {
    const start = u32At(data, offsetsAt + 4 * i);
    if (start !== expectedStart) throw new RangeError(`entry ${i} starts at ${start}, expected ${expectedStart}`);
    const end = i + 1 < count ? u32At(data, offsetsAt + 4 * i + 4) : offsetsAt;
    if (end > offsetsAt || end < start + 19 + trailerBytes) throw new RangeError(`entry ${i} has a bad extent`);
    if (entryChecksum !== null && entryChecksum(data, start, end - trailerBytes) !== u32At(data, end - trailerBytes)) {
      throw new EntryChecksumMismatch(`entry ${i}`);
    }
    const kind = data[start]!;
    if (kind !== KIND_PUT && kind !== KIND_DELETE) throw new RangeError(`unknown entry kind ${kind}`);
    const keyLength = varintAt(data, start + 17, end);
    const keyStart = varintEnd;
    const valueLength = Number.isNaN(keyLength) ? Number.NaN : varintAt(data, keyStart + keyLength, end);
    if (Number.isNaN(valueLength)) throw new RangeError(`entry ${i} overruns its extent`);
    if (varintEnd + valueLength + trailerBytes !== end) throw new RangeError(`entry ${i} does not end where the next begins`);
    if (previousKeyStart >= 0 && compareRanges(data, previousKeyStart, previousKeyLength, keyStart, keyLength) >= 0) {
      throw new RangeError('keys not sorted');
    }
    previousKeyStart = keyStart;
    previousKeyLength = keyLength;
    expectedStart = end;
  }
  return { block: new DataBlock(data, count, offsetsAt, trailerBytes), lastKeyStart: previousKeyStart, lastKeyLength: previousKeyLength };
}

function compareRanges(data: Uint8Array, a: number, aLength: number, b: number, bLength: number): number {
  const n = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < n; i++) {
    const d = data[a + i]! - data[b + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/**
 * The point-read fast path of format 3: looks for `key` in a data block that has NOT been verified (`data`
 * is the block without its trailing CRC) and returns its entry only if the entry's own checksum matches —
 * otherwise undefined, and the caller verifies the whole block before concluding anything. Every position
 * taken from the unverified bytes is bounds-checked first, so damage can send the search the wrong way (the
 * caller then verifies the block and finds the damage) but never out of the block or into a wrong answer: the
 * bytes of a returned entry, lengths included, are exactly the ones its checksum covers.
 */
function findVerifiedEntry(data: Uint8Array, length: number, key: Uint8Array, checksum: Checksum32): Entry | undefined {
  // `length`: the block's bytes without its trailing CRC (`data` holds the whole block read).
  if (length < 4) return undefined;
  const count = u32At(data, length - 4);
  if (count === 0 || count > (length - 4) / 4) return undefined;
  const offsetsAt = length - 4 - 4 * count;
  let lo = 0;
  let hi = count;
  let match = -1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = compareKeyAt(data, u32At(data, offsetsAt + 4 * mid), offsetsAt, key);
    if (Number.isNaN(order)) return undefined;
    if (order === 0) {
      match = mid;
      break;
    }
    if (order < 0) lo = mid + 1;
    else hi = mid;
  }
  if (match < 0) return undefined;
  const start = u32At(data, offsetsAt + 4 * match);
  const end = match + 1 < count ? u32At(data, offsetsAt + 4 * match + 4) : offsetsAt;
  if (end > offsetsAt || end < start + 19 + ENTRY_TRAILER_BYTES) return undefined;
  const body = end - ENTRY_TRAILER_BYTES;
  if (checksum(data, start, body) !== u32At(data, body)) return undefined;
  // Verified: decode within [start, body) and check that the lengths add up (a writer bug would show here).
  // The key is the one searched for (the bytes compared equal), so no view of it is made.
  const entry = entryAt(data, start, body, key);
  if (entry === undefined || entryValueEnd !== body || (entry.kind !== KIND_PUT && entry.kind !== KIND_DELETE)) return undefined;
  return entry;
}

/**
 * The checksum of a format-4 data block in bytes[at, end) (`end`: where the block's own CRC begins), which
 * covers the entry offsets and count: checked first so the offsets can be trusted; the entries' own
 * checksums are checked as parseDataBlock walks them. Returns what failed, or null.
 */
function checkFormat4Offsets(bytes: Uint8Array, at: number, end: number, checksum: Checksum32): string | null {
  if (end - at < 4) return 'block too short for its entry count';
  const count = u32At(bytes, end - 4);
  if (count === 0 || count > (end - at - 4) / 4) return `entry count ${count} does not fit the block`;
  return checksum(bytes, end - 4 - 4 * count, end) === u32At(bytes, end) ? null : 'entry offsets';
}

/**
 * One reusable read buffer, shared by all of an engine's table readers: a get whose block is not going into
 * the block cache reads the block into it (Disk.readInto), verifies it there and decodes the entry as views
 * into it, so a random get over a large store allocates no block-sized buffer. Such an entry is valid only
 * until the next read through the same scratch; the engine copies the value out at once.
 */
export class ReadScratch {
  private buffer = new Uint8Array(16 * 1024);

  /** A buffer of at least `length` bytes (grown by doubling; never shrinks). */
  take(length: number): Uint8Array {
    if (this.buffer.length < length) {
      let capacity = this.buffer.length;
      while (capacity < length) capacity *= 2;
      this.buffer = new Uint8Array(capacity);
    }
    return this.buffer;
  }
}

/** Blocks per group of the index's two-level search (see TableReader.fence). */
const INDEX_GROUP = 32;

/** Compaction reads its inputs in runs of blocks of about this many bytes: one read(2) per run, not per block. */
const COMPACTION_READAHEAD = 256 * 1024;
/** A scan's readahead starts at one block and doubles with each further block it reads, up to this. */
const SCAN_READAHEAD_MAX = 64 * 1024;

/**
 * Reads one SSTable (format drawn in sstable-writer.ts). Opening reads and verifies the footer, filter, index
 * and properties blocks and keeps them in memory; data blocks are read on demand, verified, decoded and put
 * in the block cache. Every failure to verify raises StorageCorruptionError naming the file and the offset of
 * the bad block — a reader never returns bytes it could not check.
 */
export class TableReader {
  /**
   * The index, flattened: every block's last key back to back in one buffer, with start offsets. One
   * allocation per table instead of one per block matters once a store holds millions of keys: hundreds of
   * thousands of tiny long-lived buffers make every garbage collection slower.
   */
  private indexKeys: Uint8Array = new Uint8Array(0);
  private keyStarts: Uint32Array = new Uint32Array(1);
  /**
   * Every index key starts with these `indexPrefixLength` bytes (their common prefix: keys of one table tend to
   * share one, e.g. "user:00"). findBlock checks a key against it once and then compares only what follows.
   */
  private indexPrefix: Uint8Array = new Uint8Array(0);
  /**
   * For block i, the 6 bytes after the common prefix of its last key at [2i] and the 6 after those at [2i+1],
   * as numbers (zero-padded), side by side: one step of the search reads one cache line, and the bytes that
   * tell keys apart are the ones compared.
   */
  private lastKeyPrefixes: Float64Array = new Float64Array(0);
  /**
   * The prefixes of the last block of every group of INDEX_GROUP blocks, interleaved (p0, p1, p0, p1, …):
   * findBlock searches these first and then one group, so a lookup touches a few KiB that stay in cache
   * across gets plus a few lines of one group, instead of ~14 scattered lines of two arrays of the whole
   * index (a table of 200 K 1 KiB values has ~50 K blocks; the misses cost ~0.3 µs per get).
   */
  private fence: Float64Array = new Float64Array(0);
  /** Block i starts at extents[2i] and is extents[2i+1] bytes long (CRC included): one line per lookup. */
  private extents: Float64Array = new Float64Array(0);
  private readonly bloom: BloomFilter;
  readonly entries: number;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
  /** The block checksum of this table's format version. */
  private readonly checksum: Checksum32;
  /** Bytes of checksum after each entry: 4 in formats 3 and 4, 0 in format 2. */
  private readonly entryTrailerBytes: number;
  /** Formats 2 and 3: a data block's checksum covers the whole block. Format 4: only its offsets and count. */
  private readonly blockCrcCoversEntries: boolean;
  /** The first of this table's keys in the block cache, one per block. */
  private readonly cacheBase: number;

  constructor(
    private readonly disk: Disk,
    readonly name: string,
    readonly fileNumber: number,
    private readonly cache: BlockCache<DataBlock>,
    private readonly scratch: ReadScratch = new ReadScratch(),
    /** CRC-32 (IEEE) for format-3 and -4 tables: core's own, or an identical native one (see crc.ts). */
    crc32Implementation: Checksum32 = crc32,
  ) {
    const size = disk.size(name);
    if (size < FOOTER_BYTES) throw new StorageCorruptionError(name, 0, `file is ${size} bytes, too short for a footer`);
    const footerOffset = size - FOOTER_BYTES;
    const footer = disk.read(name, footerOffset, FOOTER_BYTES);
    const f = new ByteReader(footer);
    const filterOffset = f.u64();
    const filterLength = f.u32();
    const indexOffset = f.u64();
    const indexLength = f.u32();
    const propsOffset = f.u64();
    const propsLength = f.u32();
    const version = f.u32();
    const footerCrc = f.u32();
    const magicLow = f.u32();
    const magicHigh = f.u32();
    if (magicLow !== MAGIC_LOW || magicHigh !== MAGIC_HIGH) {
      throw new StorageCorruptionError(name, footerOffset + 44, 'bad magic number: not a dynalab SSTable or footer damaged');
    }
    // The version picks the checksum, so it is read before the footer is verified; a damaged version either
    // names an unsupported format or selects a CRC under which the footer does not verify.
    if (version !== FORMAT_VERSION && version !== FORMAT_VERSION_WHOLE_BLOCK_CRC && version !== FORMAT_VERSION_CRC32C) {
      throw new StorageCorruptionError(name, footerOffset + 36, `unsupported SSTable format version ${version}`);
    }
    this.checksum = version === FORMAT_VERSION_CRC32C ? crc32c : crc32Implementation;
    this.entryTrailerBytes = version === FORMAT_VERSION_CRC32C ? 0 : ENTRY_TRAILER_BYTES;
    this.blockCrcCoversEntries = version !== FORMAT_VERSION;
    if (this.checksum(footer, 0, 40) !== footerCrc) throw new StorageCorruptionError(name, footerOffset, 'footer checksum mismatch');
    for (const [what, offset, length] of [
      ['filter', filterOffset, filterLength],
      ['index', indexOffset, indexLength],
      ['properties', propsOffset, propsLength],
    ] as const) {
      if (length < 4 || offset + length > footerOffset) {
        throw new StorageCorruptionError(name, footerOffset, `footer points ${what} block outside the file`);
      }
    }
    this.bloom = new BloomFilter(this.readVerified(filterOffset, filterLength, 'filter').slice());
    if (!this.bloom.wellFormed) throw new StorageCorruptionError(name, filterOffset, 'malformed bloom filter');
    const index = this.readVerified(indexOffset, indexLength, 'index');
    try {
      const r = new ByteReader(index);
      const count = r.varint();
      let previous: Uint8Array | null = null;
      let expectedOffset = 0;
      const keys: Uint8Array[] = [];
      let totalKeyBytes = 0;
      this.extents = new Float64Array(2 * count);
      for (let i = 0; i < count; i++) {
        const lastKey = r.bytes(r.varint());
        const offset = r.u64();
        const length = r.varint();
        if (previous !== null && compareBytes(previous, lastKey) >= 0) throw new RangeError('index keys not increasing');
        if (offset !== expectedOffset || length < 5) throw new RangeError('index block offsets not contiguous');
        expectedOffset = offset + length;
        previous = lastKey;
        keys.push(lastKey);
        totalKeyBytes += lastKey.length;
        this.extents[2 * i] = offset;
        this.extents[2 * i + 1] = length;
      }
      this.indexKeys = new Uint8Array(totalKeyBytes);
      this.keyStarts = new Uint32Array(count + 1);
      let at = 0;
      for (let i = 0; i < count; i++) {
        this.keyStarts[i] = at;
        this.indexKeys.set(keys[i]!, at);
        at += keys[i]!.length;
      }
      this.keyStarts[count] = at;
      // Sorted keys: the common prefix of the first and the last is common to all.
      const skip = count === 0 ? 0 : commonPrefixLength(keys[0]!, keys[count - 1]!);
      this.indexPrefix = count === 0 ? new Uint8Array(0) : keys[0]!.slice(0, skip);
      this.lastKeyPrefixes = new Float64Array(2 * count);
      for (let i = 0; i < count; i++) {
        this.lastKeyPrefixes[2 * i] = prefixNumber(keys[i]!, skip);
        this.lastKeyPrefixes[2 * i + 1] = prefixNumber(keys[i]!, skip + 6);
      }
      const groups = Math.ceil(count / INDEX_GROUP);
      this.fence = new Float64Array(2 * groups);
      for (let g = 0; g < groups; g++) {
        const last = Math.min(count, (g + 1) * INDEX_GROUP) - 1;
        this.fence[2 * g] = this.lastKeyPrefixes[2 * last]!;
        this.fence[2 * g + 1] = this.lastKeyPrefixes[2 * last + 1]!;
      }
      if (expectedOffset !== filterOffset || r.remaining !== 0) throw new RangeError('index does not cover the data');
    } catch (error) {
      if (error instanceof StorageCorruptionError) throw error;
      throw new StorageCorruptionError(name, indexOffset, `malformed index block: ${(error as Error).message}`);
    }
    const props = this.readVerified(propsOffset, propsLength, 'properties');
    try {
      const r = new ByteReader(props);
      this.entries = r.u64();
      r.u64(); // tombstones: kept in the manifest; here only for tools
      this.minSeq = r.u64();
      this.maxSeq = r.u64();
      this.smallest = r.bytes(r.varint()).slice();
      this.largest = r.bytes(r.varint()).slice();
    } catch (error) {
      throw new StorageCorruptionError(name, propsOffset, `malformed properties block: ${(error as Error).message}`);
    }
    this.cacheBase = cache.reserveKeys(this.blockCount);
  }

  /** Block i's key in the block cache (see BlockCache.reserveKeys). */
  cacheKey(blockIndex: number): number {
    return this.cacheBase + blockIndex;
  }

  /** Reads `length` bytes at `offset` and checks the trailing CRC; returns the content without the CRC. */
  private readVerified(offset: number, length: number, what: string): Uint8Array {
    const bytes = this.disk.read(this.name, offset, length);
    if (bytes.length !== length) {
      throw new StorageCorruptionError(this.name, offset, `${what} block truncated (${bytes.length} of ${length} bytes)`);
    }
    if (this.checksum(bytes, 0, length - 4) !== u32At(bytes, length - 4)) {
      throw new StorageCorruptionError(this.name, offset, `${what} block checksum mismatch`);
    }
    return bytes.subarray(0, length - 4);
  }

  get blockCount(): number {
    return this.extents.length >>> 1;
  }

  /** memcmp(lastKey of block i, key). */
  private compareLastKey(blockIndex: number, key: Uint8Array): number {
    const keys = this.indexKeys;
    const start = this.keyStarts[blockIndex]!;
    const length = this.keyStarts[blockIndex + 1]! - start;
    const n = length < key.length ? length : key.length;
    for (let i = 0; i < n; i++) {
      const d = keys[start + i]! - key[i]!;
      if (d !== 0) return d;
    }
    return length - key.length;
  }

  mayContain(key: Uint8Array): boolean {
    return this.bloom.mayContain(key);
  }

  mayContainHash(hash: number): boolean {
    return this.bloom.mayContainHash(hash);
  }

  /** Index of the first block whose last key is ≥ key (blockCount when none). */
  findBlock(key: Uint8Array): number {
    const count = this.blockCount;
    // Every index key starts with indexPrefix: a key that does not sorts before all of them or after all.
    const prefix = this.indexPrefix;
    const skip = prefix.length;
    for (let i = 0; i < skip; i++) {
      if (i >= key.length) return 0;
      if (key[i] !== prefix[i]) return key[i]! < prefix[i]! ? 0 : count;
    }
    const p0 = prefixNumber(key, skip);
    const p1 = prefixNumber(key, skip + 6);
    // Zero-padded prefixes that differ order keys as memcmp does (see memtable.ts); equal ones need the bytes.
    const fence = this.fence;
    let lo = 0;
    let hi = fence.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q0 = fence[2 * mid]!;
      const q1 = fence[2 * mid + 1]!;
      const less = q0 !== p0 ? q0 < p0 : q1 !== p1 ? q1 < p1 : this.compareLastKey(Math.min(count, (mid + 1) * INDEX_GROUP) - 1, key) < 0;
      if (less) lo = mid + 1;
      else hi = mid;
    }
    // Group `lo` holds the answer (its last block's key is ≥ key), or every block is < key.
    const prefixes = this.lastKeyPrefixes;
    let first = lo * INDEX_GROUP;
    let last = Math.min(count, first + INDEX_GROUP);
    if (first >= count) return count;
    while (first < last) {
      const mid = (first + last) >>> 1;
      const q0 = prefixes[2 * mid]!;
      const q1 = prefixes[2 * mid + 1]!;
      const less = q0 !== p0 ? q0 < p0 : q1 !== p1 ? q1 < p1 : this.compareLastKey(mid, key) < 0;
      if (less) first = mid + 1;
      else last = mid;
    }
    return first;
  }

  /** Offset and length (including the CRC) of data block i. */
  blockOffset(blockIndex: number): number {
    return this.extents[2 * blockIndex]!;
  }

  blockLength(blockIndex: number): number {
    return this.extents[2 * blockIndex + 1]!;
  }

  /**
   * The entry for exactly `key` in this table (no bloom check), or undefined. Its key and value may be views
   * into the shared ReadScratch: valid until the next read through it — copy what you keep.
   *
   * A block not in the cache goes into it only on a second miss within the cache's admission window (see
   * BlockCache.admit); until then it is read into the scratch buffer and verified there, so a get over a
   * store far larger than the cache costs one read(2) and no block-sized allocation.
   */
  find(key: Uint8Array): Entry | undefined {
    const blockIndex = this.findBlock(key);
    if (blockIndex >= this.blockCount) return undefined;
    const cacheKey = this.cacheKey(blockIndex);
    let block = this.cache.get(cacheKey);
    if (block === undefined) {
      if (this.cache.admit(cacheKey)) {
        block = this.readBlock(blockIndex, true);
      } else {
        const buffer = this.readBlockIntoScratch(blockIndex);
        if (this.entryTrailerBytes !== 0) {
          const found = findVerifiedEntry(buffer, buffer.length - 4, key, this.checksum);
          if (found !== undefined) return found;
        }
        // Not found (or the entry did not verify): only a verified block may say "absent" — or raise the error.
        block = this.verifyBlock(blockIndex, buffer, 0);
      }
    }
    const i = block.lowerBound(key);
    return i < block.count && block.compareKey(i, key) === 0 ? block.entry(i) : undefined;
  }

  /** Reads data block i (with its CRC, unverified) into the shared scratch buffer (not cached; see find). */
  private readBlockIntoScratch(blockIndex: number): Uint8Array {
    const offset = this.extents[2 * blockIndex]!;
    const length = this.extents[2 * blockIndex + 1]!;
    const buffer = this.scratch.take(length).subarray(0, length);
    const n = this.disk.readInto(this.name, offset, buffer, 0);
    if (n !== length) throw new StorageCorruptionError(this.name, offset, `data block truncated (${n} of ${length} bytes)`);
    return buffer;
  }

  /** Loads a data block through the cache (`fillCache` false for compaction, which reads each block once). */
  block(blockIndex: number, fillCache: boolean): DataBlock {
    const cacheKey = this.cacheKey(blockIndex);
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    return this.readBlock(blockIndex, fillCache);
  }

  /** Reads and verifies data block i (the caller has looked in the cache already). */
  readBlock(blockIndex: number, fillCache: boolean): DataBlock {
    const length = this.extents[2 * blockIndex + 1]!;
    const block = this.verifyBlock(blockIndex, this.disk.read(this.name, this.extents[2 * blockIndex]!, length), 0);
    if (fillCache) this.cache.set(this.cacheKey(blockIndex), block, length + 64);
    return block;
  }

  cachedBlock(cacheKey: number): DataBlock | undefined {
    return this.cache.get(cacheKey);
  }

  cacheBlock(cacheKey: number, block: DataBlock, bytes: number): void {
    this.cache.set(cacheKey, block, bytes);
  }

  /**
   * Verifies data block i found at `at` in `bytes` (a read of that block alone or of a run of blocks):
   * checksum, then structure. The block keeps a view into `bytes`.
   */
  verifyBlock(blockIndex: number, bytes: Uint8Array, at: number): DataBlock {
    const offset = this.extents[2 * blockIndex]!;
    const length = this.extents[2 * blockIndex + 1]!;
    if (bytes.length - at < length) {
      throw new StorageCorruptionError(this.name, offset, `data block truncated (${Math.max(0, bytes.length - at)} of ${length} bytes)`);
    }
    const end = at + length - 4;
    if (this.blockCrcCoversEntries) {
      if (this.checksum(bytes, at, end) !== u32At(bytes, end)) throw new StorageCorruptionError(this.name, offset, 'data block checksum mismatch');
    } else {
      const bad = checkFormat4Offsets(bytes, at, end, this.checksum);
      if (bad !== null) throw new StorageCorruptionError(this.name, offset, `data block checksum mismatch (${bad})`);
    }
    try {
      const parsed = parseDataBlock(bytes.subarray(at, end), this.entryTrailerBytes, this.blockCrcCoversEntries ? null : this.checksum);
      if (!this.lastKeyEquals(blockIndex, parsed.block.data, parsed.lastKeyStart, parsed.lastKeyLength)) {
        throw new RangeError('last key does not match the index');
      }
      return parsed.block;
    } catch (error) {
      if (error instanceof EntryChecksumMismatch) throw new StorageCorruptionError(this.name, offset, `data block checksum mismatch (${error.message})`);
      throw new StorageCorruptionError(this.name, offset, `malformed data block: ${(error as Error).message}`);
    }
  }

  /** Whether the index's last key of block i equals data[start, start + length). */
  private lastKeyEquals(blockIndex: number, data: Uint8Array, start: number, length: number): boolean {
    const from = this.keyStarts[blockIndex]!;
    if (this.keyStarts[blockIndex + 1]! - from !== length) return false;
    for (let i = 0; i < length; i++) if (this.indexKeys[from + i] !== data[start + i]) return false;
    return true;
  }

  /** Reads blocks [first, …) as one run of at most ~`maxBytes` (always at least block `first`). */
  readRun(first: number, maxBytes: number): { bytes: Uint8Array; first: number; last: number } {
    const start = this.extents[2 * first]!;
    let last = first;
    let bytes = this.extents[2 * first + 1]!;
    while (last + 1 < this.blockCount && bytes + this.extents[2 * last + 3]! <= maxBytes) {
      last++;
      bytes += this.extents[2 * last + 1]!;
    }
    return { bytes: this.disk.read(this.name, start, bytes), first, last };
  }

  cursor(fillCache: boolean): TableCursor {
    return new TableCursor(this, fillCache);
  }

  evictFromCache(): void {
    this.cache.evictTable(this.cacheBase, this.blockCount);
  }
}

/**
 * An ordered cursor over one table, loading blocks as it goes. Compaction cursors (`fillCache` false) read
 * runs of ~256 KiB at a time; scan cursors go through the block cache and, when they move on to a block that
 * is not cached, read ahead a run that doubles from one block up to 64 KiB (a short scan reads little, a long
 * one makes few reads). Every block is verified on its own, whichever read brought it.
 */
export class TableCursor {
  private blockIndex = 0;
  private position = 0;
  private current: DataBlock | null = null;
  private currentEntry: Entry | null = null;
  private run: { bytes: Uint8Array; first: number; last: number } | null = null;
  private readahead: number;

  constructor(
    private readonly table: TableReader,
    private readonly fillCache: boolean,
  ) {
    this.readahead = fillCache ? 0 : COMPACTION_READAHEAD;
  }

  seek(key: Uint8Array | undefined): void {
    this.blockIndex = key === undefined ? 0 : this.table.findBlock(key);
    this.load();
    if (this.current !== null && key !== undefined) this.position = this.current.lowerBound(key);
    this.skipExhausted();
  }

  private load(): void {
    this.position = 0;
    this.currentEntry = null;
    this.current = this.blockIndex < this.table.blockCount ? this.loadBlock(this.blockIndex) : null;
  }

  private loadBlock(i: number): DataBlock {
    const table = this.table;
    if (this.fillCache) {
      const cacheKey = table.cacheKey(i);
      const cached = table.cachedBlock(cacheKey);
      if (cached !== undefined) return cached;
      if (this.readahead === 0) {
        // First block of this cursor: a scan may need no more than this one.
        this.readahead = table.blockLength(i);
        return table.readBlock(i, true);
      }
    }
    let run = this.run;
    if (run === null || i < run.first || i > run.last) {
      if (this.fillCache) this.readahead = Math.min(SCAN_READAHEAD_MAX, this.readahead * 2);
      run = this.run = this.table.readRun(i, this.readahead);
    }
    const at = table.blockOffset(i) - table.blockOffset(run.first);
    const block = table.verifyBlock(i, run.bytes, at);
    if (!this.fillCache) return block;
    // The cache must not pin the whole run: keep a copy of just this block.
    const copy = new DataBlock(block.data.slice(), block.count, block.data.length - 4 - 4 * block.count, block.trailerBytes);
    table.cacheBlock(table.cacheKey(i), copy, table.blockLength(i) + 64);
    return copy;
  }

  private skipExhausted(): void {
    while (this.current !== null && this.position >= this.current.count) {
      this.blockIndex++;
      this.load();
    }
  }

  valid(): boolean {
    return this.current !== null;
  }

  entry(): Entry {
    return (this.currentEntry ??= this.current!.entry(this.position));
  }

  /**
   * The current entry exactly as stored — its encoding followed by its checksum — when the table is format 3
   * (verified with its block), so a compaction that keeps the entry unchanged copies these bytes instead of
   * encoding and checksumming it again; null for format-2 tables.
   */
  encodedEntry(): Uint8Array | null {
    const block = this.current!;
    if (block.trailerBytes === 0) return null;
    return block.data.subarray(block.entryStart(this.position), block.entryEnd(this.position));
  }

  next(): void {
    this.position++;
    this.currentEntry = null;
    this.skipExhausted();
  }
}
