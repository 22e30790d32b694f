import type { NodeId, Transport } from '../../core/env';

/**
 * A transport-agnostic ping-pong: `a` sends `rounds` numbered pings to `b`, `b` answers each with a pong,
 * and the promise resolves once every pong has come back in order. Any Transport — simulated or TCP — should
 * pass it on a healthy network; it checks addressing (`from` is the sender's id), byte fidelity and FIFO order
 * on one link.
 */
export function pingPong(a: Transport, b: Transport, rounds: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ping-pong: ${received}/${rounds} pongs after ${timeoutMs} ms`)), timeoutMs);
    let received = 0;
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`ping-pong: ${why}`));
    };
    b.onMessage((from: NodeId, message) => {
      if (from !== a.self) return fail(`b heard from ${from}, expected ${a.self}`);
      const text = new TextDecoder().decode(message);
      if (!text.startsWith('ping ')) return fail(`b got ${JSON.stringify(text)}`);
      b.send(from, new TextEncoder().encode(`pong ${text.slice(5)}`));
    });
    a.onMessage((from: NodeId, message) => {
      if (from !== b.self) return fail(`a heard from ${from}, expected ${b.self}`);
      const text = new TextDecoder().decode(message);
      if (text !== `pong ${received}`) return fail(`a expected "pong ${received}", got ${JSON.stringify(text)}`);
      received++;
      if (received === rounds) {
        clearTimeout(timer);
        resolve();
      } else {
        a.send(b.self, new TextEncoder().encode(`ping ${received}`));
      }
    });
    a.send(b.self, new TextEncoder().encode('ping 0'));
  });
}
