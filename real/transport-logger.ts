/**
 * Where the transport reports what it did to a connection and why (auth failures, malformed frames, peers
 * going up and down). A two-method interface so a node can route it into whatever logging it uses and a
 * test can capture it.
 */
export interface TransportLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** The default: one line on stderr per event, prefixed with the node id. */
export function consoleTransportLogger(self: string): TransportLogger {
  const prefix = `[tcp ${self}]`;
  return {
    info: (message) => console.error(`${prefix} ${message}`),
    warn: (message) => console.error(`${prefix} WARN ${message}`),
  };
}

/** True for 1, 2, 4, 8, … — used to log a repeating failure a logarithmic number of times, not every time. */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}
