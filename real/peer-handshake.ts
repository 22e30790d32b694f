import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NodeId } from '../core/env';

/**
 * Mutual authentication of two nodes that share a cluster secret, without the secret ever crossing the wire.
 *
 * The dialing side is the "client", the accepting side the "server". Four frames (see frame-codec.ts):
 *
 *   client                                              server
 *     | HELLO     ver(u8)=2 | nonceC(32) | idLen(u8) | clientId      |
 *     |           | settingsLen(u8) | settings                        |
 *     |-------------------------------------------------------------->|
 *     | CHALLENGE nonceS(32) | proofS(32) | idLen(u8) | serverId      |
 *     |           | settingsLen(u8) | settings                        |
 *     |<--------------------------------------------------------------|
 *     |   client checks serverId is the peer it meant to dial and     |
 *     |   proofS is right (else auth failure), then that the server's |
 *     |   settings equal its own (else it logs both and hangs up)     |
 *     | PROOF     proofC(32)                                          |
 *     |-------------------------------------------------------------->|
 *     |   server checks proofC (else auth failure), then the client's |
 *     |   settings (else it logs both and hangs up)                   |
 *     | WELCOME   (empty)                                             |
 *     |<--------------------------------------------------------------|
 *     | DATA ... DATA ... (client → server only)                      |
 *
 *   proofX = HMAC-SHA256(key = secret, "dynalab/tcp/v1 " + X + 0x00
 *                                      | nonceC | nonceS | u8 len | clientId | u8 len | serverId)
 *   with X = "server" or "client".
 *
 * Why this shape:
 * - Both nonces are fresh random 32-byte values, so a recorded proof is useless on any other connection.
 * - The role label differs between the two proofs, so a proof obtained from a node acting as server can never
 *   be replayed as a client proof (no reflection), and both node ids are bound into each proof, so a proof
 *   made for one pair of nodes does not authenticate another pair.
 * - The server proves first, and the client proves only after checking it: a client never computes a MAC
 *   over nonces chosen by someone who does not know the secret.
 * - Comparison is constant-time (timingSafeEqual).
 *
 * The settings are what every member must share for their messages to make sense to each other — the conflict
 * mode, N, the ring's shape — as one ASCII string ("conflict=dvv n=3 vnodes=256 …"). Two nodes that differ
 * would otherwise talk: a lww replica's answers cannot be merged into a vector-clock read. They are compared,
 * not authenticated (they are outside the proofs): someone who can rewrite traffic can only cause a refusal.
 * Each side compares them only after the other has proven the secret, so an impostor is told "auth failure"
 * (though a CHALLENGE shows anyone who dials the server's settings: they are not secret).
 *
 * What it does not do: after WELCOME the session is trusted as a whole (no per-frame MAC, no encryption).
 * That defends against misconfigured or stray nodes and port scanners on a trusted network; on an untrusted
 * network, run the cluster links over TLS or a VPN. Every member shares one secret, so a member can claim
 * another member's id; the secret authenticates the cluster, not the individual node.
 */

export const HANDSHAKE_VERSION = 2;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/**
 * Largest frame either side accepts before authentication. The largest valid ones: HELLO 1 + 32 + 1 + 255 + 1 +
 * 255 = 545 bytes, CHALLENGE 32 + 32 + 1 + 255 + 1 + 255 = 576 (255-byte id and settings), plus the type byte.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 1024;
const MAX_ID_BYTES = 255;
const LABEL_PREFIX = 'dynalab/tcp/v1 ';

export class HandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandshakeError';
  }
}

export interface Hello {
  version: number;
  nonce: Uint8Array;
  clientId: NodeId;
  /** The client's cluster settings (see above); '' when it has none to compare. */
  settings: string;
}

export interface Challenge {
  nonce: Uint8Array;
  proof: Uint8Array;
  serverId: NodeId;
  settings: string;
}

/** Both nonces and both ids: everything a proof is computed over. */
export interface HandshakeTranscript {
  clientNonce: Uint8Array;
  serverNonce: Uint8Array;
  clientId: NodeId;
  serverId: NodeId;
}

export type ProofRole = 'client' | 'server';

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

export function encodeNodeId(id: NodeId): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_ID_BYTES) {
    throw new HandshakeError(`node id must be 1..${MAX_ID_BYTES} UTF-8 bytes, got ${bytes.length}`);
  }
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}

export function computeProof(secret: string, role: ProofRole, t: HandshakeTranscript): Uint8Array {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  mac.update(Buffer.from(`${LABEL_PREFIX}${role}\0`, 'utf8'));
  mac.update(t.clientNonce);
  mac.update(t.serverNonce);
  mac.update(encodeNodeId(t.clientId));
  mac.update(encodeNodeId(t.serverId));
  return new Uint8Array(mac.digest());
}

export function verifyProof(secret: string, role: ProofRole, t: HandshakeTranscript, proof: Uint8Array): boolean {
  if (proof.length !== PROOF_BYTES) return false;
  return timingSafeEqual(computeProof(secret, role, t), proof);
}

export function encodeHello(hello: Hello): Buffer {
  return Buffer.concat([Buffer.of(hello.version), hello.nonce, encodeNodeId(hello.clientId), encodeSettings(hello.settings)]);
}

export function decodeHello(payload: Uint8Array): Hello {
  const version = payload[0];
  if (version === undefined) throw new HandshakeError('empty HELLO');
  const nonce = payload.subarray(1, 1 + NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new HandshakeError('HELLO too short for its nonce');
  if (version !== HANDSHAKE_VERSION) return { version, nonce, clientId: '?', settings: '' }; // refused by version
  const id = decodeNodeId(payload, 1 + NONCE_BYTES, 'HELLO');
  return { version, nonce, clientId: id.id, settings: decodeSettings(payload, id.end, 'HELLO') };
}

export function encodeChallenge(challenge: Challenge): Buffer {
  return Buffer.concat([challenge.nonce, challenge.proof, encodeNodeId(challenge.serverId), encodeSettings(challenge.settings)]);
}

export function decodeChallenge(payload: Uint8Array): Challenge {
  if (payload.length < NONCE_BYTES + PROOF_BYTES + 3) throw new HandshakeError('CHALLENGE too short');
  const nonce = payload.subarray(0, NONCE_BYTES);
  const proof = payload.subarray(NONCE_BYTES, NONCE_BYTES + PROOF_BYTES);
  const id = decodeNodeId(payload, NONCE_BYTES + PROOF_BYTES, 'CHALLENGE');
  return { nonce, proof, serverId: id.id, settings: decodeSettings(payload, id.end, 'CHALLENGE') };
}

/** "peer n1 runs 'conflict=lww n=3' but this node runs 'conflict=dvv n=3'", or null when they agree. */
export function settingsMismatch(peer: NodeId, peerSettings: string, ownSettings: string): string | null {
  if (peerSettings === ownSettings) return null;
  return `peer ${peer} runs '${peerSettings}' but this node runs '${ownSettings}': refusing it (every member must share these settings)`;
}

function encodeSettings(settings: string): Buffer {
  const bytes = Buffer.from(settings, 'ascii');
  if (bytes.length > MAX_ID_BYTES || bytes.toString('ascii') !== settings) {
    throw new HandshakeError(`cluster settings must be at most ${MAX_ID_BYTES} ASCII characters, got '${settings}'`);
  }
  return Buffer.concat([Buffer.of(bytes.length), bytes]);
}

/** Length-prefixed ASCII settings that must end exactly at the end of the payload (trailing bytes are malformed). */
function decodeSettings(payload: Uint8Array, offset: number, what: string): string {
  const length = payload[offset];
  if (length === undefined) throw new HandshakeError(`${what} has no settings`);
  if (offset + 1 + length !== payload.length) throw new HandshakeError(`${what} settings length mismatch`);
  const bytes = payload.subarray(offset + 1, offset + 1 + length);
  if (bytes.some((byte) => byte > 0x7e || byte < 0x20)) throw new HandshakeError(`${what} settings are not printable ASCII`);
  return Buffer.from(bytes).toString('ascii');
}

export function decodeProof(payload: Uint8Array): Uint8Array {
  if (payload.length !== PROOF_BYTES) throw new HandshakeError(`PROOF must be ${PROOF_BYTES} bytes`);
  return payload;
}

/** A length-prefixed id, and where the field after it starts. */
function decodeNodeId(payload: Uint8Array, offset: number, what: string): { id: NodeId; end: number } {
  const length = payload[offset];
  if (length === undefined || length === 0) throw new HandshakeError(`${what} has no node id`);
  if (offset + 1 + length >= payload.length) throw new HandshakeError(`${what} node id length mismatch`);
  const bytes = payload.subarray(offset + 1, offset + 1 + length);
  try {
    return { id: new TextDecoder('utf-8', { fatal: true }).decode(bytes), end: offset + 1 + length };
  } catch {
    throw new HandshakeError(`${what} node id is not valid UTF-8`);
  }
}
