import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../sim/event-queue';
import { EventTag, Simulator } from '../../sim/simulator';

describe('event queue', () => {
  it('pops in (time, sequence) order for any push/pop interleaving', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(50), fc.constant(-1)), { maxLength: 300 }), (ops) => {
        const queue = new EventQueue<{ at: number; sequence: number }>();
        let sequence = 0;
        let last = { at: -1, sequence: -1 };
        let model: { at: number; sequence: number }[] = [];
        for (const op of ops) {
          if (op >= 0) {
            const event = { at: Math.max(op, last.at), sequence: sequence++ };
            queue.push(event);
            model.push(event);
          } else {
            const popped = queue.pop();
            model.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
            expect(popped).toBe(model[0]);
            model = model.slice(1);
            if (popped) last = popped;
          }
        }
        expect(queue.size).toBe(model.length);
      }),
    );
  });

  it('simulator runs same-time events in scheduling order, honours cancel, and refuses to go back in time', () => {
    const simulator = new Simulator(1);
    const order: string[] = [];
    simulator.schedule(5, EventTag.Control, () => order.push('a'));
    const b = simulator.schedule(5, EventTag.Control, () => order.push('b'));
    simulator.schedule(5, EventTag.Control, () => order.push('c'));
    simulator.schedule(1, EventTag.Control, () => order.push('first'));
    simulator.cancel(b);
    simulator.run();
    expect(order).toEqual(['first', 'a', 'c']);
    expect(simulator.nowMicros).toBe(5);
    expect(() => simulator.scheduleAt(2, EventTag.Control, () => {})).toThrow(/already 5/);
    expect(() => simulator.schedule(Number.NaN, EventTag.Control, () => {})).toThrow(RangeError);
  });
});
