import type { Disk } from '../env';
import { bloomHash, buildBloom } from './bloom';
import { ByteWriter, compareBytes, toHex } from './bytes';
import { crc32, crc32c, type Checksum32 } from './crc';
import { encodeEntry, encodedSize, KIND_DELETE, type Entry } from './entry';
import type { TableMeta } from './table-meta';

/**
 * SSTable file format (version 4). All integers little-endian; every byte is covered by exactly one CRC-32
 * (IEEE): a data block's entries each by their own, the rest of the block by the block's, every other block
 * by its trailing one.
 *
 *   offset 0
 *   +------------------------------------------------------------+
 *   | data block 0   entry 0, crc32 u32 of entry 0, |            |   entries sorted by key, one version per key,
 *   |                … entry n−1, its crc32 u32,    |            |   a block is cut once it reaches blockBytes
 *   |                entryOffset u32 × n, n u32     |  crc32 u32 |   (entry codec: see entry.ts); the block's crc32
 *   | data block 1   …                              |  crc32 u32 |   covers entryOffsets and n (version 3: all of it)
 *   | …                                             |            |
 *   +------------------------------------------------------------+ filterOffset
 *   | filter block   k u8 | bloom bits               |  crc32 u32 |
 *   +------------------------------------------------------------+ indexOffset
 *   | index block    count varint,                  |  crc32 u32 |
 *   |                count × (lastKeyLen varint, lastKey,        |   lastKey = largest key in that data block;
 *   |                         offset u64, length varint)         |   length includes the block's crc
 *   +------------------------------------------------------------+ propertiesOffset
 *   | properties     entries u64 | tombstones u64 | minSeq u64 |   |
 *   |                maxSeq u64 | smallest (len varint, bytes) | |
 *   |                largest (len varint, bytes)   |  crc32 u32 |
 *   +------------------------------------------------------------+ size − 52
 *   | footer         filterOffset u64 | filterLength u32 |       |
 *   |  (52 bytes)    indexOffset u64  | indexLength u32  |       |
 *   |                propsOffset u64  | propsLength u32  |       |
 *   |                formatVersion u32 |  crc32 u32 of the 40 bytes before it |
 *   |                magic u64 = ASCII "DYNALAB1"                 |
 *   +------------------------------------------------------------+ size
 *
 * A data block ends in the start offset of each of its n entries (relative to the block start, the first is
 * 0, strictly increasing, the last entry ending where the offsets begin) and n ≥ 1. A point lookup verifies
 * the block's checksum, binary-searches the offsets comparing keys in place and decodes only the entry it
 * returns — no per-entry objects for the entries it passes over (version 1 had no offsets and decoded whole
 * blocks).
 *
 * Version 3 differs from version 2 in two ways, both for point reads of blocks that are not in the cache:
 * - CRC-32 (IEEE) replaces CRC-32C, so real mode can verify with Node's native zlib.crc32 (see crc.ts);
 * - each entry is followed by a CRC-32 of its own bytes (entry offsets still point at entry starts, and the
 *   next offset — or the offsets array — marks where the entry's checksum ends). A get that finds its key in a
 *   block read for it alone verifies just that entry (~1 KiB) instead of the whole block (~4 KiB); a get that
 *   does not find its key, and every scan, compaction and cache fill, verifies the whole block as before — so
 *   "absent" is never concluded from unverified bytes, and no unverified byte is ever returned.
 * Version 4 differs from version 3 only in what a data block's own checksum covers: the entry offsets and the
 * count, not the entries again — each entry already carries a CRC of its bytes, and summing every entry twice
 * was ~30 % of a flush's CPU. Verifying a whole block checks the offsets first, then each entry.
 * Readers accept version 3 and version 2 tables (no entry checksums, CRC-32C) and verify them block by block.
 *
 * The footer is fixed-size at the end so a reader finds everything from one read at size − 52; the magic
 * rejects files that are not SSTables at all, the version lets the format evolve, the footer's own checksum
 * catches a flipped bit in the offsets before they send the reader somewhere wrong.
 */
export const FOOTER_BYTES = 52;
export const FORMAT_VERSION = 4;
/** Entry checksums, and a data block's checksum over the whole block. Still readable. */
export const FORMAT_VERSION_WHOLE_BLOCK_CRC = 3;
/** No entry checksums, CRC-32C on blocks. Still readable. */
export const FORMAT_VERSION_CRC32C = 2;
export type FormatVersion = typeof FORMAT_VERSION | typeof FORMAT_VERSION_WHOLE_BLOCK_CRC | typeof FORMAT_VERSION_CRC32C;
/** Formats 3 and 4: the CRC-32 after each entry in a data block. */
export const ENTRY_TRAILER_BYTES = 4;
/** "DYNALAB1" read as two little-endian u32 words. */
export const MAGIC_LOW = 0x414e5944; // "DYNA"
export const MAGIC_HIGH = 0x3142414c; // "LAB1"

export interface TableBuilderOptions {
  blockBytes: number;
  bloomBitsPerKey: number;
}

/**
 * Writes one SSTable incrementally: `add` entries in strictly increasing key order (asserted — a misordered
 * table would make binary search silently miss keys), then `finish`. Output is appended to the file in
 * chunks of ~64 KiB so a flush or compaction step does a few large writes rather than many small ones.
 */
export class TableBuilder {
  private readonly out = new ByteWriter(1 << 17);
  /** Where the open data block starts in `out`, and its entries' offsets relative to that start. */
  private blockStart = 0;
  private readonly entryOffsets: number[] = [];
  private readonly index = new ByteWriter(4096);
  private readonly hashes: number[] = [];
  private blockCount = 0;
  private blockLastKey: Uint8Array | null = null;
  private offset = 0;
  private entries = 0;
  private tombstones = 0;
  private minSeq = Number.POSITIVE_INFINITY;
  private maxSeq = 0;
  private smallest: Uint8Array | null = null;
  private lastKey: Uint8Array | null = null;
  private finished = false;
  private readonly checksum: Checksum32;
  private readonly entryTrailerBytes: number;

  constructor(
    private readonly disk: Disk,
    readonly name: string,
    readonly fileNumber: number,
    private readonly options: TableBuilderOptions,
    /** CRC-32 (IEEE): core's own, or an identical native one (see crc.ts). */
    checksum: Checksum32 = crc32,
    /** Formats 2 and 3 are written only by tests, to check that such tables stay readable. */
    private readonly format: FormatVersion = FORMAT_VERSION,
  ) {
    this.checksum = format === FORMAT_VERSION_CRC32C ? crc32c : checksum;
    this.entryTrailerBytes = format === FORMAT_VERSION_CRC32C ? 0 : ENTRY_TRAILER_BYTES;
    disk.create(name);
  }

  /**
   * Adds an entry by copying its stored bytes from a format-3 table (`encoded`: its encoding followed by its
   * CRC, as TableCursor.encodedEntry gives them; the block they came from was verified). Compaction keeps most
   * entries unchanged, and copying skips re-encoding and re-checksumming each one.
   */
  addEncoded(entry: Entry, encoded: Uint8Array): void {
    if (this.entryTrailerBytes === 0) return this.add(entry);
    this.admit(entry);
    this.entryOffsets.push(this.out.length - this.blockStart);
    this.out.bytes(encoded);
    this.afterEntry(entry);
  }

  add(entry: Entry): void {
    this.admit(entry);
    const entryStart = this.out.length;
    this.entryOffsets.push(entryStart - this.blockStart);
    encodeEntry(this.out, entry);
    if (this.entryTrailerBytes !== 0) this.out.u32(this.checksum(this.out.peek(), entryStart, this.out.length));
    this.afterEntry(entry);
  }

  /** Order check and first/last key bookkeeping, before an entry is written. */
  private admit(entry: Entry): void {
    if (this.lastKey !== null && compareBytes(this.lastKey, entry.key) >= 0) {
      throw new Error(
        `SSTable ${this.name}: keys out of order (${toHex(entry.key)} after ${toHex(this.lastKey)}) — engine bug`,
      );
    }
    if (this.smallest === null) this.smallest = entry.key;
    this.lastKey = entry.key;
  }

  /** Filter, counters and block cut, after an entry is written. */
  private afterEntry(entry: Entry): void {
    this.blockLastKey = entry.key;
    this.hashes.push(bloomHash(entry.key));
    this.entries++;
    if (entry.kind === KIND_DELETE || entry.time !== 0) this.tombstones++;
    if (entry.seq < this.minSeq) this.minSeq = entry.seq;
    if (entry.seq > this.maxSeq) this.maxSeq = entry.seq;
    if (this.out.length - this.blockStart + 4 * this.entryOffsets.length + 4 >= this.options.blockBytes) this.finishBlock();
  }

  /** Bytes this table will occupy so far (used to split compaction output at a target file size). */
  get estimatedBytes(): number {
    return this.offset + this.out.length;
  }

  /** Bytes appended to the file so far (what an fsync started now would cover; see writeback-pacer.ts). */
  get appendedBytes(): number {
    return this.offset;
  }

  get entryCount(): number {
    return this.entries;
  }

  static entryBytes(entry: Entry): number {
    return encodedSize(entry);
  }

  private finishBlock(): void {
    const count = this.entryOffsets.length;
    if (count === 0) return;
    const out = this.out;
    const offsetsStart = out.length;
    for (let i = 0; i < count; i++) out.u32(this.entryOffsets[i]!);
    out.u32(count);
    const blockStart = this.blockStart;
    const content = out.peek();
    out.u32(this.checksum(content, this.format === FORMAT_VERSION ? offsetsStart : blockStart, content.length));
    const length = out.length - blockStart;
    this.index.varint(this.blockLastKey!.length);
    this.index.bytes(this.blockLastKey!);
    this.index.u64(this.offset + blockStart);
    this.index.varint(length);
    this.blockCount++;
    this.entryOffsets.length = 0;
    if (out.length >= 1 << 16) this.drain();
    this.blockStart = out.length;
  }

  private drain(): void {
    if (this.out.length === 0) return;
    this.disk.append(this.name, this.out.peek());
    this.offset += this.out.length;
    this.out.reset();
  }

  private writeMetaBlock(content: Uint8Array): { offset: number; length: number } {
    const offset = this.offset + this.out.length;
    this.out.bytes(content);
    this.out.u32(this.checksum(content, 0, content.length));
    return { offset, length: content.length + 4 };
  }

  /** Writes filter, index, properties and footer; returns the table's metadata. The file is not yet synced. */
  finish(level: number): TableMeta {
    if (this.finished) throw new Error(`SSTable ${this.name} finished twice`);
    if (this.entries === 0) throw new Error(`SSTable ${this.name}: refusing to write an empty table — engine bug`);
    this.finished = true;
    this.finishBlock();
    const filter = this.writeMetaBlock(buildBloom(this.hashes, this.options.bloomBitsPerKey, this.format !== FORMAT_VERSION_CRC32C));
    const indexContent = new ByteWriter(this.index.length + 8);
    indexContent.varint(this.blockCount);
    indexContent.bytes(this.index.peek());
    const index = this.writeMetaBlock(indexContent.peek());
    const props = new ByteWriter(64 + this.smallest!.length + this.lastKey!.length);
    props.u64(this.entries);
    props.u64(this.tombstones);
    props.u64(this.minSeq);
    props.u64(this.maxSeq);
    props.varint(this.smallest!.length);
    props.bytes(this.smallest!);
    props.varint(this.lastKey!.length);
    props.bytes(this.lastKey!);
    const properties = this.writeMetaBlock(props.peek());
    const footer = new ByteWriter(FOOTER_BYTES);
    footer.u64(filter.offset);
    footer.u32(filter.length);
    footer.u64(index.offset);
    footer.u32(index.length);
    footer.u64(properties.offset);
    footer.u32(properties.length);
    footer.u32(this.format);
    footer.u32(this.checksum(footer.peek(), 0, 40));
    footer.u32(MAGIC_LOW);
    footer.u32(MAGIC_HIGH);
    this.out.bytes(footer.peek());
    this.drain();
    return {
      fileNumber: this.fileNumber,
      level,
      size: this.offset,
      smallest: this.smallest!.slice(),
      largest: this.lastKey!.slice(),
      minSeq: this.minSeq,
      maxSeq: this.maxSeq,
      entries: this.entries,
      tombstones: this.tombstones,
    };
  }

  /** Abandons a partly written table (the file is removed by the caller or as an orphan on next open). */
  abandon(): void {
    this.finished = true;
  }
}
