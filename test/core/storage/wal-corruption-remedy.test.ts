import { describe, expect, it } from 'vitest';
import { StorageCorruptionError } from '../../../core/storage';
import { crc32 } from '../../../core/storage/crc';
import { readWal } from '../../../core/storage/wal';
import { enc, World } from './world';

/**
 * Found by a review: of the errors readWal raises for damage in the middle of a log, only the payload checksum
 * mismatch told the operator what to do (restore / move aside / truncate at the offset); a bad header, an
 * unknown record type and a malformed batch named file and offset and stopped there. Every one must say it.
 */
const LOG = '000001.log';

/** A log of three records written by the engine (process crash: no close, so nothing is flushed). */
function threeRecordLog(): { world: World; offsets: number[] } {
  const world = new World(7);
  const engine = world.open({ syncWrites: true });
  for (let i = 0; i < 3; i++) world.await((done) => engine.put(enc(`k${i}`), enc(`value-${i}`), undefined, done));
  world.processCrash();
  const data = world.disk.readAll(LOG);
  const view = new DataView(data.buffer, data.byteOffset);
  const offsets: number[] = [];
  for (let offset = 0; offset < data.length; offset += 13 + view.getUint32(offset + 4, true)) offsets.push(offset);
  expect(offsets.length).toBe(3);
  return { world, offsets };
}

/** A type-2 record (batch in clear, CRC-32) around `batch`, both checksums valid. */
function clearRecord(batch: Uint8Array, type = 2): Uint8Array {
  const record = new Uint8Array(13 + batch.length);
  const view = new DataView(record.buffer);
  record.set(batch, 13);
  view.setUint32(4, batch.length, true);
  record[8] = type;
  view.setUint32(0, crc32(record, 4, 9), true);
  view.setUint32(9, crc32(record, 13, record.length), true);
  return record;
}

function expectRemedy(run: () => unknown, offset: number, reason: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StorageCorruptionError);
  const error = caught as StorageCorruptionError;
  expect(error.file).toBe(LOG);
  expect(error.offset).toBe(offset);
  expect(error.message).toMatch(reason);
  expect(error.message).toMatch(/cannot be replayed past this point/);
  expect(error.message).toMatch(/Restore the data directory from a backup/);
  expect(error.message).toMatch(/move it aside to start this replica empty/);
  expect(error.message).toContain(`truncate '${LOG}' to ${offset} bytes`);
}

describe('every WAL corruption error names file, offset and the remedy', () => {
  it('header checksum mismatch', () => {
    const { world, offsets } = threeRecordLog();
    const at = offsets[1]! + 5;
    world.disk.writeAt(LOG, at, new Uint8Array([world.disk.read(LOG, at, 1)[0]! ^ 0x40]));
    expectRemedy(() => readWal(world.disk, LOG), offsets[1]!, /WAL record header checksum mismatch/);
  });

  it('payload checksum mismatch (already had it)', () => {
    const { world, offsets } = threeRecordLog();
    const at = offsets[1]! + 20;
    world.disk.writeAt(LOG, at, new Uint8Array([world.disk.read(LOG, at, 1)[0]! ^ 0x40]));
    expectRemedy(() => readWal(world.disk, LOG), offsets[1]!, /WAL record payload checksum mismatch/);
  });

  it('unknown record type (header and payload verify)', () => {
    const { world, offsets } = threeRecordLog();
    world.disk.writeAt(LOG, offsets[1]!, clearRecord(new Uint8Array(20).fill(1), 9));
    expectRemedy(() => readWal(world.disk, LOG), offsets[1]!, /unknown WAL record type 9/);
  });

  it('malformed batch despite a valid checksum', () => {
    const { world, offsets } = threeRecordLog();
    // First seq, then a count of 5 entries and nothing after it.
    world.disk.writeAt(LOG, offsets[1]!, clearRecord(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 5])));
    expectRemedy(() => readWal(world.disk, LOG), offsets[1]!, /malformed WAL batch despite valid checksum/);
  });
});
