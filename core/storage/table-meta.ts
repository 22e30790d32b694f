/**
 * What the manifest records about one SSTable — enough to plan compactions and route reads without opening
 * the file. Keys are kept as bytes; the manifest stores them as hex.
 */
export interface TableMeta {
  readonly fileNumber: number;
  /** Leveled: 0 (overlapping, newest first) or 1..n (sorted, non-overlapping). Size-tiered: always 0. */
  readonly level: number;
  readonly size: number;
  readonly smallest: Uint8Array;
  readonly largest: Uint8Array;
  readonly minSeq: number;
  readonly maxSeq: number;
  readonly entries: number;
  /** Tombstones and TTL'd puts: what a compaction could drop or purge. */
  readonly tombstones: number;
}

export function tableFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(6, '0')}.sst`;
}

export function walFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(6, '0')}.log`;
}

/** Parses `000123.sst` / `000123.log` into { number, kind }, or undefined for other names. */
export function parseFileName(name: string): { fileNumber: number; kind: 'sst' | 'log' } | undefined {
  const match = /^(\d{6,})\.(sst|log)$/.exec(name);
  if (match === null) return undefined;
  return { fileNumber: Number(match[1]), kind: match[2] as 'sst' | 'log' };
}
