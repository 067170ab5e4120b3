/**
 * Test controls: injected faults and call counters. Tests use them through the
 * `/__control/*` endpoints to simulate an unreliable platform and to observe caching and
 * retries.
 */
import { OPERATIONS } from './schemas.js';
import type { FaultMode, FaultSpec, Operation } from './schemas.js';

export const DEFAULT_ERROR_STATUS = 503;
export const DEFAULT_REJECT_STATUS = 400;
export const DEFAULT_TIMEOUT_DELAY_MS = 5000;

/** A queued fault as `GET /__control/faults` shows it. */
export interface PendingFault {
  operation: Operation;
  mode: FaultMode;
  /** HTTP status of an `error` or `reject`; null for `timeout`. */
  status: number | null;
  /** Delay before answering (for `error` and `reject`, before failing). */
  delayMs: number;
  /** Calls it still applies to; -1 means until cleared. */
  remaining: number;
}

/** What a call that consumed a fault must do. */
export type FaultAction = Omit<PendingFault, 'remaining'>;

/** Per-operation FIFO queues of faults; each call of the operation consumes one use of the head. */
export class FaultRegistry {
  private readonly queues = new Map<Operation, PendingFault[]>();

  add(spec: FaultSpec): PendingFault {
    const fault: PendingFault = {
      operation: spec.operation,
      mode: spec.mode,
      status:
        spec.mode === 'timeout'
          ? null
          : (spec.status ?? (spec.mode === 'error' ? DEFAULT_ERROR_STATUS : DEFAULT_REJECT_STATUS)),
      delayMs: spec.delayMs ?? (spec.mode === 'timeout' ? DEFAULT_TIMEOUT_DELAY_MS : 0),
      remaining: spec.times ?? 1,
    };
    const queue = this.queues.get(spec.operation) ?? [];
    queue.push(fault);
    this.queues.set(spec.operation, queue);
    return { ...fault };
  }

  /** Consumes one use of the next fault queued for `operation`, if any. */
  take(operation: Operation): FaultAction | undefined {
    const queue = this.queues.get(operation);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (head.remaining > 0) {
      head.remaining -= 1;
      if (head.remaining === 0) queue.shift();
    }
    return { operation: head.operation, mode: head.mode, status: head.status, delayMs: head.delayMs };
  }

  list(): PendingFault[] {
    return OPERATIONS.flatMap((op) => (this.queues.get(op) ?? []).map((f) => ({ ...f })));
  }

  clear(): void {
    this.queues.clear();
  }
}

export type CallCounts = Record<Operation, number>;

/** Counts every call received per operation, including faulted calls and 304s. */
export class CallCounter {
  private counts: CallCounts = CallCounter.zero();

  private static zero(): CallCounts {
    return Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as CallCounts;
  }

  increment(operation: Operation): void {
    this.counts[operation] += 1;
  }

  snapshot(): CallCounts {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = CallCounter.zero();
  }
}
