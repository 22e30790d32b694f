/** Errors of the versioning layer. Messages say what was wrong, so an operator can tell a bug from corruption. */

/** A broken versioning invariant (e.g. one dot carrying two different values) or a mode mismatch. */
export class VersioningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VersioningError';
  }
}

/** Malformed bytes handed to a decoder: truncated, garbage, failed checksum or an invalid structure. */
export class CodecError extends Error {
  constructor(
    readonly what: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`cannot decode ${what}: ${reason} (at byte ${offset})`);
    this.name = 'CodecError';
  }
}

/**
 * A causal context handed with a write of another key than the one whose read returned it (see
 * encodeContext). Not corruption: a client mixed up its contexts, and the write would have superseded
 * versions of this key it never saw.
 */
export class ContextKeyMismatchError extends Error {
  constructor() {
    super('the causal context was returned for another key: a context applies only to the key whose read returned it (read this key for its own)');
    this.name = 'ContextKeyMismatchError';
  }
}
