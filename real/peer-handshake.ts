import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NodeId } from '../core/env';

/**
 * Mutual authentication of two nodes that share a cluster secret, without the secret ever crossing the wire.
 *
 * The dialing side is the "client", the accepting side the "server". Four frames (see frame-codec.ts):
 *
 *   client                                              server
 *     | HELLO     ver(u8)=1 | nonceC(32) | idLen(u8) | clientId      |
 *     |-------------------------------------------------------------->|
 *     | CHALLENGE nonceS(32) | proofS(32) | idLen(u8) | serverId      |
 *     |<--------------------------------------------------------------|
 *     |   client checks serverId is the peer it meant to dial and     |
 *     |   proofS is right; otherwise it hangs up (auth failure)       |
 *     | PROOF     proofC(32)                                          |
 *     |-------------------------------------------------------------->|
 *     |   server checks proofC; otherwise it hangs up (auth failure)  |
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
 * What it does not do: after WELCOME the session is trusted as a whole (no per-frame MAC, no encryption).
 * That defends against misconfigured or stray nodes and port scanners on a trusted network; on an untrusted
 * network, run the cluster links over TLS or a VPN. Every member shares one secret, so a member can claim
 * another member's id; the secret authenticates the cluster, not the individual node.
 */

export const HANDSHAKE_VERSION = 1;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
/** Largest frame either side accepts before authentication (HELLO and CHALLENGE are under 330 bytes). */
export const HANDSHAKE_MAX_FRAME_BYTES = 512;
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
}

export interface Challenge {
  nonce: Uint8Array;
  proof: Uint8Array;
  serverId: NodeId;
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
  return Buffer.concat([Buffer.of(hello.version), hello.nonce, encodeNodeId(hello.clientId)]);
}

export function decodeHello(payload: Uint8Array): Hello {
  const version = payload[0];
  if (version === undefined) throw new HandshakeError('empty HELLO');
  const nonce = payload.subarray(1, 1 + NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new HandshakeError('HELLO too short for its nonce');
  const clientId = decodeNodeId(payload, 1 + NONCE_BYTES, 'HELLO');
  return { version, nonce, clientId };
}

export function encodeChallenge(challenge: Challenge): Buffer {
  return Buffer.concat([challenge.nonce, challenge.proof, encodeNodeId(challenge.serverId)]);
}

export function decodeChallenge(payload: Uint8Array): Challenge {
  if (payload.length < NONCE_BYTES + PROOF_BYTES + 2) throw new HandshakeError('CHALLENGE too short');
  const nonce = payload.subarray(0, NONCE_BYTES);
  const proof = payload.subarray(NONCE_BYTES, NONCE_BYTES + PROOF_BYTES);
  const serverId = decodeNodeId(payload, NONCE_BYTES + PROOF_BYTES, 'CHALLENGE');
  return { nonce, proof, serverId };
}

export function decodeProof(payload: Uint8Array): Uint8Array {
  if (payload.length !== PROOF_BYTES) throw new HandshakeError(`PROOF must be ${PROOF_BYTES} bytes`);
  return payload;
}

/** A length-prefixed id that must end exactly at the end of the payload (trailing bytes are malformed). */
function decodeNodeId(payload: Uint8Array, offset: number, what: string): NodeId {
  const length = payload[offset];
  if (length === undefined || length === 0) throw new HandshakeError(`${what} has no node id`);
  if (offset + 1 + length !== payload.length) throw new HandshakeError(`${what} node id length mismatch`);
  const bytes = payload.subarray(offset + 1, offset + 1 + length);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HandshakeError(`${what} node id is not valid UTF-8`);
  }
}
