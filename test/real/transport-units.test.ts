import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FrameError, FrameType, type Frame } from '../../real/frame-codec';
import {
  computeProof,
  decodeChallenge,
  decodeHello,
  encodeChallenge,
  encodeHello,
  HANDSHAKE_MAX_FRAME_BYTES,
  HANDSHAKE_VERSION,
  HandshakeError,
  newNonce,
  verifyProof,
} from '../../real/peer-handshake';
import { ReconnectBackoff } from '../../real/reconnect-backoff';
import { SendQueue } from '../../real/send-queue';

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => frames.push(frame));
  return frames;
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  return chunks;
}

describe('frame codec', () => {
  it('round-trips any sequence of frames however the stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => encodeFrame(FrameType.Data, p)));
          const frames = decodeAll(new FrameDecoder(1024), split(stream, cuts));
          expect(frames.map((f) => f.type)).toEqual(payloads.map(() => FrameType.Data));
          expect(frames.map((f) => Buffer.from(f.payload))).toEqual(payloads.map((p) => Buffer.from(p)));
        },
      ),
    );
  });

  it('hands on a frame that lies whole in one chunk as a view of it, and copies one split across chunks', () => {
    const one = encodeFrame(FrameType.Data, Buffer.from('first'));
    const two = encodeFrame(FrameType.Data, Buffer.from('second, split'));
    const chunk = Buffer.concat([one, two.subarray(0, 7)]);
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(100);
    decoder.push(chunk, (f) => frames.push(f));
    decoder.push(two.subarray(7), (f) => frames.push(f));
    expect(frames.map((f) => Buffer.from(f.payload).toString())).toEqual(['first', 'second, split']);
    expect(frames[0]!.payload.buffer).toBe(chunk.buffer);
    expect(frames[1]!.payload.buffer).not.toBe(chunk.buffer);
  });

  it('rejects an oversize length as soon as the prefix arrives, and a zero length', () => {
    const decoder = new FrameDecoder(100);
    expect(() => decoder.push(Buffer.from([0, 0, 0, 101]), () => {})).toThrow(FrameError);
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => {})).toThrow(/exceeds/);
    expect(() => new FrameDecoder(100).push(Buffer.from([0, 0, 0, 0]), () => {})).toThrow(/length 0/);
  });

  it('rejects an unknown frame type but delivers the good frames before it', () => {
    const good = encodeFrame(FrameType.Data, Buffer.from('ok'));
    const bad = Buffer.from([0, 0, 0, 1, 99]);
    const frames: Frame[] = [];
    expect(() => new FrameDecoder(100).push(Buffer.concat([good, bad]), (f) => frames.push(f))).toThrow(/unknown frame type 99/);
    expect(frames).toHaveLength(1);
  });

  it('reports a partial frame, so a truncated stream can be told from a clean end', () => {
    const decoder = new FrameDecoder(100);
    const frame = encodeFrame(FrameType.Data, Buffer.from('hello'));
    decoder.push(frame.subarray(0, 6), () => {});
    expect(decoder.hasPartialFrame).toBe(true);
    decoder.push(frame.subarray(6), () => {});
    expect(decoder.hasPartialFrame).toBe(false);
  });

  it('applies a raised limit to the next frame of the same chunk', () => {
    const decoder = new FrameDecoder(10);
    const small = encodeFrame(FrameType.Proof, Buffer.alloc(3));
    const large = encodeFrame(FrameType.Data, Buffer.alloc(50));
    const frames: Frame[] = [];
    decoder.push(Buffer.concat([small, large]), (f) => {
      frames.push(f);
      decoder.setMaxLength(1000);
    });
    expect(frames.map((f) => f.payload.length)).toEqual([3, 50]);
  });
});

describe('handshake messages and proofs', () => {
  const transcript = { clientNonce: newNonce(), serverNonce: newNonce(), clientId: 'n1', serverId: 'n2' };

  it('round-trips HELLO and CHALLENGE', () => {
    const hello = decodeHello(encodeHello({ version: HANDSHAKE_VERSION, nonce: transcript.clientNonce, clientId: 'nodé-1', settings: 'conflict=dvv n=3' }));
    expect(hello.clientId).toBe('nodé-1');
    expect(hello.settings).toBe('conflict=dvv n=3');
    expect(Buffer.from(hello.nonce)).toEqual(Buffer.from(transcript.clientNonce));
    const proof = computeProof('s', 'server', transcript);
    const challenge = decodeChallenge(encodeChallenge({ nonce: transcript.serverNonce, proof, serverId: 'n2', settings: '' }));
    expect(challenge.serverId).toBe('n2');
    expect(challenge.settings).toBe('');
    expect(verifyProof('s', 'server', transcript, challenge.proof)).toBe(true);
  });

  it('the largest valid HELLO and CHALLENGE (255-byte id and settings) fit the pre-authentication frame limit', () => {
    const id = 'n'.repeat(255);
    const settings = 's'.repeat(255);
    const hello = encodeHello({ version: HANDSHAKE_VERSION, nonce: transcript.clientNonce, clientId: id, settings });
    const challenge = encodeChallenge({ nonce: transcript.serverNonce, proof: computeProof('s', 'server', transcript), serverId: id, settings });
    expect(encodeFrame(FrameType.Hello, hello).length - 4).toBeLessThanOrEqual(HANDSHAKE_MAX_FRAME_BYTES);
    expect(encodeFrame(FrameType.Challenge, challenge).length - 4).toBeLessThanOrEqual(HANDSHAKE_MAX_FRAME_BYTES);
    expect(decodeHello(hello)).toMatchObject({ clientId: id, settings });
    expect(decodeChallenge(challenge)).toMatchObject({ serverId: id, settings });
  });

  it('rejects malformed handshake payloads', () => {
    expect(() => decodeHello(new Uint8Array(0))).toThrow(HandshakeError);
    expect(() => decodeHello(new Uint8Array(10))).toThrow(HandshakeError);
    const hello = encodeHello({ version: HANDSHAKE_VERSION, nonce: transcript.clientNonce, clientId: 'n1', settings: '' });
    expect(() => decodeHello(Buffer.concat([hello, Buffer.from('x')]))).toThrow(/length mismatch/);
    const badUtf8 = Buffer.concat([Buffer.of(HANDSHAKE_VERSION), transcript.clientNonce, Buffer.of(1, 0xff, 0)]);
    expect(() => decodeHello(badUtf8)).toThrow(/UTF-8/);
    expect(() => decodeChallenge(new Uint8Array(40))).toThrow(HandshakeError);
  });

  it('binds the secret, the role, both nonces and both ids', () => {
    const proof = computeProof('secret', 'client', transcript);
    expect(verifyProof('secret', 'client', transcript, proof)).toBe(true);
    expect(verifyProof('other', 'client', transcript, proof)).toBe(false);
    expect(verifyProof('secret', 'server', transcript, proof)).toBe(false);
    expect(verifyProof('secret', 'client', { ...transcript, serverNonce: newNonce() }, proof)).toBe(false);
    expect(verifyProof('secret', 'client', { ...transcript, clientId: 'n3' }, proof)).toBe(false);
    expect(verifyProof('secret', 'client', { ...transcript, serverId: 'n3' }, proof)).toBe(false);
    expect(verifyProof('secret', 'client', transcript, proof.subarray(0, 31))).toBe(false);
  });
});

describe('send queue', () => {
  it('drops the oldest messages when the count bound is reached', () => {
    const queue = new SendQueue({ maxMessages: 3, maxBytes: 1000 });
    let dropped = 0;
    for (let i = 0; i < 5; i++) dropped += queue.push(Uint8Array.of(i)).dropped;
    expect(dropped).toBe(2);
    expect([queue.shift(), queue.shift(), queue.shift()].map((m) => m?.[0])).toEqual([2, 3, 4]);
    expect(queue.shift()).toBeUndefined();
  });

  it('drops the oldest messages when the byte bound is reached, and refuses a message that can never fit', () => {
    const queue = new SendQueue({ maxMessages: 100, maxBytes: 10 });
    queue.push(new Uint8Array(4));
    queue.push(new Uint8Array(4));
    expect(queue.push(new Uint8Array(4))).toEqual({ accepted: true, dropped: 1 });
    expect(queue.byteLength).toBe(8);
    expect(queue.push(new Uint8Array(11))).toEqual({ accepted: false, dropped: 0 });
    expect(queue.length).toBe(2);
  });

  it('stays FIFO across compaction', () => {
    const queue = new SendQueue({ maxMessages: 5000, maxBytes: 1 << 20 });
    const encode = (i: number): Uint8Array => Buffer.from(String(i));
    const decode = (m: Uint8Array | undefined): number => Number(Buffer.from(m!).toString());
    const out: number[] = [];
    for (let i = 0; i < 4000; i++) {
      queue.push(encode(i));
      if (i % 3 === 0) out.push(decode(queue.shift()));
    }
    while (queue.length > 0) out.push(decode(queue.shift()));
    expect(out).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  });
});

describe('reconnect backoff', () => {
  it('doubles up to the cap, stays within [window/2, window], and resets', () => {
    const lows = new ReconnectBackoff({ initialMs: 10, maxMs: 100, random: () => 0 });
    const highs = new ReconnectBackoff({ initialMs: 10, maxMs: 100, random: () => 0.999999 });
    const low = Array.from({ length: 7 }, () => lows.nextDelayMs());
    const high = Array.from({ length: 7 }, () => Math.round(highs.nextDelayMs()));
    expect(low).toEqual([5, 10, 20, 40, 50, 50, 50]);
    expect(high).toEqual([10, 20, 40, 80, 100, 100, 100]);
    lows.reset();
    expect(lows.nextDelayMs()).toBe(5);
    expect(new ReconnectBackoff({ initialMs: 10, maxMs: 100 }).nextDelayMs()).toBeGreaterThanOrEqual(5);
  });
});
