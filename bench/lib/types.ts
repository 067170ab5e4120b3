/** What the orchestrator (bench/run.ts) and the load generator (bench/load.ts) exchange. */

export interface LoadSpec {
  readonly name: string;
  /** Always a 127.0.0.1 URL: the load generator refuses anything else. */
  readonly baseUrl: string;
  /**
   * Fixed rate only: several servers (127.0.0.1 URLs) taking the requests round robin, request
   * n going to `baseUrls[n % length]`, as a balancer in front of several API processes would.
   * Unset: every request goes to `baseUrl`.
   */
  readonly baseUrls?: readonly string[];
  readonly method: 'GET' | 'POST';
  /** Rotated request by request. */
  readonly paths: readonly string[];
  /** Rotated request by request (POST), independently of `paths`. */
  readonly bodies?: readonly unknown[];
  readonly headers: Readonly<Record<string, string>>;
  /** When set, every request carries a unique `Idempotency-Key: <prefix>-<n>`. */
  readonly idempotencyPrefix?: string;
  /** Statuses that count as success; anything else is an error. */
  readonly okStatus: readonly number[];
  readonly durationSec: number;
  /** Fixed rate (requests/s over all connections); unset = closed loop on `connections`. */
  readonly rate?: number;
  readonly connections?: number;
  readonly timeoutSec: number;
  /** Where the load generator writes its LoadResult as JSON. */
  readonly outFile: string;
}

export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  readonly name: string;
  readonly targetRate: number | null;
  readonly connections: number;
  /** Wall time from the first request to the last response. */
  readonly elapsedSec: number;
  readonly sent: number;
  readonly completed: number;
  /** Sent but never answered: cut off because the server fell more than 5 s behind. */
  readonly incomplete: number;
  readonly cutOff: boolean;
  readonly ok: number;
  /** Responses that were not in okStatus, by status. */
  readonly badStatus: Readonly<Record<string, number>>;
  /** Every response by status, ok or not (open loop only). */
  readonly byStatus?: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (no response at all). */
  readonly errors: number;
  readonly timeouts: number;
  /** Successful responses per second of wall time (at least the nominal duration). */
  readonly okPerSec: number;
  /** Of successful responses only, in milliseconds (sub-millisecond resolution). */
  readonly latencyMs: Latency;
  /** Open loop only: how late the driver sent each request after its due time (its own lag). */
  readonly sendLagMs?: Latency;
  /** CPU time of the load generator itself. */
  readonly cpuMs: number;
}
