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
