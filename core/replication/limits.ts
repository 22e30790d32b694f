/**
 * Request limits from the seeds: keys up to 256 bytes, values up to 1 MiB, both binary-safe. Checked at the
 * node a client talks to, before anything is written, with an error that names the limit.
 */
export const MAX_KEY_BYTES = 256;
export const MAX_VALUE_BYTES = 1024 * 1024;
/**
 * The most a key's versions may hold together when a write would leave more than one: 8 MiB, eight values at the
 * limit. A key's sibling set travels whole (in every replica write, read reply and hint), and real mode's peer
 * frames stop at 16 MiB: past that, every message about the key was dropped, its requests timed out, and the
 * silent peers were suspected — a node then answered 503 for every key (found by a review: about fifteen
 * concurrent 1 MiB writes of one key did it). A write that leaves one version (a context that covers the
 * siblings) is never refused by this: that is how they are resolved.
 */
export const MAX_SIBLING_SET_BYTES = 8 * 1024 * 1024;

export type LimitViolation = { code: 'key-too-large' | 'value-too-large' | 'bad-request'; message: string };

export function checkKey(key: Uint8Array): LimitViolation | null {
  if (key.length === 0) return { code: 'bad-request', message: 'key is empty; keys are 1 to 256 bytes' };
  if (key.length > MAX_KEY_BYTES) {
    return { code: 'key-too-large', message: `key is ${key.length} bytes; the limit is ${MAX_KEY_BYTES} bytes` };
  }
  return null;
}

export function checkValue(value: Uint8Array): LimitViolation | null {
  if (value.length > MAX_VALUE_BYTES) {
    return { code: 'value-too-large', message: `value is ${value.length} bytes; the limit is ${MAX_VALUE_BYTES} bytes (1 MiB)` };
  }
  return null;
}
