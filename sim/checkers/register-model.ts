/**
 * The sequential specification the linearizability checker holds a key to: a single register that is either
 * absent (`null`) or holds one value.
 *
 * - put v: register := v.
 * - delete: register := absent.
 * - cas expected→v: allowed only if register = expected (`null` = "absent"); then register := v.
 * - get: returns [] when absent, [v] when it holds v. A linearizable register never returns siblings, so a
 *   get with two or more values is rejected before the search (the checker reports it directly).
 */
export type RegisterState = string | null;

export type RegisterOp =
  | { kind: 'put'; value: string }
  | { kind: 'delete' }
  | { kind: 'cas'; expected: RegisterState; value: string }
  | { kind: 'get'; result: RegisterState };

/** The state after applying `op` to `state`, or `undefined` if `op` cannot happen in `state`. */
export function stepRegister(state: RegisterState, op: RegisterOp): RegisterState | undefined {
  switch (op.kind) {
    case 'put':
      return op.value;
    case 'delete':
      return null;
    case 'cas':
      return state === op.expected ? op.value : undefined;
    case 'get':
      return state === op.result ? state : undefined;
  }
}

/** A collision-free encoding of a state for memo keys ("absent" and the string "null" must differ). */
export function stateKey(state: RegisterState): string {
  return state === null ? '-' : `=${state}`;
}

export function describeRegisterOp(op: RegisterOp): string {
  switch (op.kind) {
    case 'put':
      return `put ${op.value}`;
    case 'delete':
      return 'delete';
    case 'cas':
      return `cas ${op.expected ?? 'absent'}→${op.value}`;
    case 'get':
      return `get → ${op.result === null ? '[]' : `[${op.result}]`}`;
  }
}
