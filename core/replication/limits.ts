/**
 * Request limits from the seeds: keys up to 256 bytes, values up to 1 MiB, both binary-safe. Checked at the
 * node a client talks to, before anything is written, with an error that names the limit.
 */
export const MAX_KEY_BYTES = 256;
export const MAX_VALUE_BYTES = 1024 * 1024;

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
