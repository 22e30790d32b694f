import type { Disk } from '../env';
import { blockCacheKey, type BlockCache } from './block-cache';
import { BloomFilter } from './bloom';
import { ByteReader, compareBytes } from './bytes';
import { crc32c } from './crc32c';
import { decodeEntry, type Entry } from './entry';
import { StorageCorruptionError } from './errors';
import { FOOTER_BYTES, FORMAT_VERSION, MAGIC_HIGH, MAGIC_LOW } from './sstable-writer';

/** A data block, decoded once and then shared through the block cache. */
export interface DecodedBlock {
  readonly keys: Uint8Array[];
  readonly entries: Entry[];
}

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
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  private readonly bloom: BloomFilter;
  readonly entries: number;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;

  constructor(
    private readonly disk: Disk,
    readonly name: string,
    readonly fileNumber: number,
    private readonly cache: BlockCache<DecodedBlock>,
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
    if (crc32c(footer, 0, 40) !== footerCrc) throw new StorageCorruptionError(name, footerOffset, 'footer checksum mismatch');
    if (version !== FORMAT_VERSION) {
      throw new StorageCorruptionError(name, footerOffset + 36, `unsupported SSTable format version ${version}`);
    }
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
        this.offsets.push(offset);
        this.lengths.push(length);
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
  }

  /** Reads `length` bytes at `offset` and checks the trailing CRC; returns the content without the CRC. */
  private readVerified(offset: number, length: number, what: string): Uint8Array {
    const bytes = this.disk.read(this.name, offset, length);
    if (bytes.length !== length) {
      throw new StorageCorruptionError(this.name, offset, `${what} block truncated (${bytes.length} of ${length} bytes)`);
    }
    const stored = (bytes[length - 4]! | (bytes[length - 3]! << 8) | (bytes[length - 2]! << 16) | (bytes[length - 1]! << 24)) >>> 0;
    if (crc32c(bytes, 0, length - 4) !== stored) {
      throw new StorageCorruptionError(this.name, offset, `${what} block checksum mismatch`);
    }
    return bytes.subarray(0, length - 4);
  }

  get blockCount(): number {
    return this.offsets.length;
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
    let lo = 0;
    let hi = this.offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareLastKey(mid, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The entry for exactly `key` in this table (no bloom check), or undefined. */
  find(key: Uint8Array): Entry | undefined {
    const blockIndex = this.findBlock(key);
    if (blockIndex >= this.offsets.length) return undefined;
    const block = this.block(blockIndex, true);
    const i = lowerBound(block.keys, key);
    return i < block.keys.length && compareBytes(block.keys[i]!, key) === 0 ? block.entries[i] : undefined;
  }

  /** Loads a data block through the cache (`fillCache` false for compaction, which reads each block once). */
  block(blockIndex: number, fillCache: boolean): DecodedBlock {
    const cacheKey = blockCacheKey(this.fileNumber, blockIndex);
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    const offset = this.offsets[blockIndex]!;
    const length = this.lengths[blockIndex]!;
    const content = this.readVerified(offset, length, 'data');
    const keys: Uint8Array[] = [];
    const entries: Entry[] = [];
    try {
      const r = new ByteReader(content);
      while (r.remaining > 0) {
        const entry = decodeEntry(r);
        if (keys.length > 0 && compareBytes(keys[keys.length - 1]!, entry.key) >= 0) throw new RangeError('keys not sorted');
        keys.push(entry.key);
        entries.push(entry);
      }
      if (keys.length === 0 || this.compareLastKey(blockIndex, keys[keys.length - 1]!) !== 0) {
        throw new RangeError('last key does not match the index');
      }
    } catch (error) {
      throw new StorageCorruptionError(this.name, offset, `malformed data block: ${(error as Error).message}`);
    }
    const decoded = { keys, entries };
    if (fillCache) this.cache.set(cacheKey, decoded, length + 48 * keys.length);
    return decoded;
  }

  cursor(fillCache: boolean): TableCursor {
    return new TableCursor(this, fillCache);
  }

  evictFromCache(): void {
    this.cache.evictTable(this.fileNumber);
  }
}

function lowerBound(keys: Uint8Array[], key: Uint8Array): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An ordered cursor over one table, loading blocks as it goes. */
export class TableCursor {
  private blockIndex = 0;
  private position = 0;
  private current: DecodedBlock | null = null;

  constructor(
    private readonly table: TableReader,
    private readonly fillCache: boolean,
  ) {}

  seek(key: Uint8Array | undefined): void {
    this.blockIndex = key === undefined ? 0 : this.table.findBlock(key);
    this.load();
    if (this.current !== null && key !== undefined) this.position = lowerBound(this.current.keys, key);
    this.skipExhausted();
  }

  private load(): void {
    this.position = 0;
    this.current = this.blockIndex < this.table.blockCount ? this.table.block(this.blockIndex, this.fillCache) : null;
  }

  private skipExhausted(): void {
    while (this.current !== null && this.position >= this.current.keys.length) {
      this.blockIndex++;
      this.load();
    }
  }

  valid(): boolean {
    return this.current !== null;
  }

  entry(): Entry {
    return this.current!.entries[this.position]!;
  }

  next(): void {
    this.position++;
    this.skipExhausted();
  }
}
