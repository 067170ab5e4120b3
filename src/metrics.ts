/**
 * Prometheus metrics (prom-client). Each app or worker gets a registry of its own, never the
 * global default, so several of them in one process (tests, `dev` mode) do not collide.
 * Label values are bounded sets (outcomes, error codes, entry types, route patterns), never
 * ids, so cardinality stays small.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Purchases that ended, by outcome (completed | failed) and error code (`none` when completed). */
  readonly purchases: Counter<'outcome' | 'code'>;
  /** From the purchase request (the attempt row) to the saga's outcome. */
  readonly sagaDuration: Histogram<'outcome'>;
  /** CreateShipment calls by result: created | retryable_error | rejected. */
  readonly shipmentAttempts: Counter<'result'>;
  /** Compensations run by the saga (hold released), by reason. */
  readonly compensations: Counter<'reason'>;
  readonly refunds: Counter<'outcome'>;
  /** Ledger entries written, by type (grant | deduction | purchase | refund) and currency. */
  readonly creditMovements: Counter<'type' | 'currency'>;
  /** Sum of the absolute amounts of those entries, in minor units. */
  readonly creditMovementAmount: Counter<'type' | 'currency'>;
  /** Platform reads answered from the cache or not (hit | miss | revalidated). */
  readonly platformCache: Counter<'result'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Purchases refused by admission control (503 `overloaded`), by the bound that refused them. */
  readonly admissionRefusals: Counter<'reason'>;
  readonly reconciliationFindings: Counter<'severity' | 'kind'>;
  readonly reconciliationHoldsReleased: Counter;
  /** Webhook delivery attempts by outcome (succeeded | failed) and kind (event | resend | test). */
  readonly webhookDeliveries: Counter<'outcome' | 'kind'>;
  /** Commit of an event → its successful delivery (feed deliveries only). */
  readonly webhookLatency: Histogram;
}

export function createMetrics(options: { defaultMetrics?: boolean; prefix?: string } = {}): Metrics {
  const registry = new Registry();
  const p = options.prefix ?? 'ledger_';
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];
  return {
    registry,
    purchases: new Counter({
      name: `${p}purchases_total`,
      help: 'Purchases that ended, by outcome and error code',
      labelNames: ['outcome', 'code'],
      registers,
    }),
    sagaDuration: new Histogram({
      name: `${p}purchase_saga_duration_seconds`,
      help: 'Purchase saga duration from request to outcome',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    shipmentAttempts: new Counter({
      name: `${p}shipment_attempts_total`,
      help: 'CreateShipment calls by result',
      labelNames: ['result'],
      registers,
    }),
    compensations: new Counter({
      name: `${p}compensations_total`,
      help: 'Saga compensations (credit holds released) by reason',
      labelNames: ['reason'],
      registers,
    }),
    refunds: new Counter({ name: `${p}refunds_total`, help: 'Refunds by outcome', labelNames: ['outcome'], registers }),
    creditMovements: new Counter({
      name: `${p}credit_movements_total`,
      help: 'Ledger entries written, by type',
      labelNames: ['type', 'currency'],
      registers,
    }),
    creditMovementAmount: new Counter({
      name: `${p}credit_movement_amount_total`,
      help: 'Absolute amount of ledger entries written, minor units',
      labelNames: ['type', 'currency'],
      registers,
    }),
    platformCache: new Counter({
      name: `${p}platform_cache_requests_total`,
      help: 'Platform reads by cache result',
      labelNames: ['result'],
      registers,
    }),
    httpDuration: new Histogram({
      name: `${p}http_request_duration_seconds`,
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    admissionRefusals: new Counter({
      name: `${p}purchase_admission_refusals_total`,
      help: 'Purchases refused with 503 overloaded by admission control, by bound (in_flight | backlog_age)',
      labelNames: ['reason'],
      registers,
    }),
    reconciliationFindings: new Counter({
      name: `${p}reconciliation_findings_total`,
      help: 'Reconciliation findings by severity and kind',
      labelNames: ['severity', 'kind'],
      registers,
    }),
    reconciliationHoldsReleased: new Counter({
      name: `${p}reconciliation_holds_released_total`,
      help: 'Orphaned credit holds released by reconciliation',
      registers,
    }),
    webhookDeliveries: new Counter({
      name: `${p}webhook_deliveries_total`,
      help: 'Webhook delivery attempts by outcome and kind',
      labelNames: ['outcome', 'kind'],
      registers,
    }),
    webhookLatency: new Histogram({
      name: `${p}webhook_delivery_latency_seconds`,
      help: 'From the event being written to its successful delivery (first-time feed deliveries)',
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    }),
  };
}

/** A bare `/metrics` endpoint for processes without the API (worker mode). Returns its stopper. */
export async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<() => Promise<void>> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      },
      () => {
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}
