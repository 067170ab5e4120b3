/**
 * The yardstick: `POST /v1/purchases` done by hand in one Express handler, without Temporal.
 * Benchmark-only code; the service never runs it.
 *
 *   load customer + product (platform, HTTP, in parallel) → validate and price
 *   → BEGIN: claim the Idempotency-Key, record the attempt, reserve the hold,
 *            CreateShipment (HTTP, inside the transaction), capture + ledger entry + purchase,
 *            store the response → COMMIT
 *   compensation: the rollback undoes the reservation; a shipment created before a failed
 *   commit is cancelled on the platform.
 *
 * It runs the same SQL as the saga (the repository functions of src/db, whose own transactions
 * become savepoints here), the same auth, validation, idempotency hashing and response mapping,
 * so the difference to the real endpoint is Temporal and the split into separate transactions.
 * What it gives up is what the saga is for: a crash between CreateShipment and COMMIT leaves
 * a shipment with no purchase and nothing that finishes or compensates it; no retry budget for
 * CreateShipment; refusals are not remembered against the key (the rollback drops the claim);
 * and the account row stays locked while the platform answers CreateShipment, which
 * serialises purchases of one customer.
 *
 *   PORT, DATABASE_URL, DATABASE_POOL_MAX, PLATFORM_API_URL, PLATFORM_TIMEOUT_MS, API_TOKENS,
 *   LOG_LEVEL as for the service.  Run: node --import tsx bench/baseline/server.ts
 */
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { callerOf, createAuthenticator, requireRole } from '../../src/api/auth.js';
import { createErrorHandler, notFoundHandler } from '../../src/api/errors.js';
import { idempotencyScope } from '../../src/api/idempotency.js';
import { sendAnswer } from '../../src/api/respond.js';
import { assertSameRequest, storedAnswer, type Answer } from '../../src/app/idempotent.js';
import { toPurchase } from '../../src/app/purchase-views.js';
import { requestIdMiddleware, requestIdOf } from '../../src/api/request-id.js';
import { parseBody } from '../../src/api/validate.js';
import { loadConfig } from '../../src/config.js';
import { PurchaseRequest } from '../../src/contracts/index.js';
import { openDatabase } from '../../src/db/client.js';
import { claimKey, storeResponse } from '../../src/db/idempotency-repository.js';
import { newId } from '../../src/domain/ids.js';
import { commitPurchase, insertAttempt, reserveCredit } from '../../src/db/purchase-repository.js';
import { DomainError } from '../../src/domain/errors.js';
import { checkPurchasable, priceOf, purchaseWorkflowId } from '../../src/domain/purchase.js';
import { createLogger } from '../../src/logger.js';
import { PlatformError, createPlatformClient } from '../../src/platform/client.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, 'baseline');
const platformUrl = config.platform.url;
if (!platformUrl) throw new Error('PLATFORM_API_URL must be set');
const database = await openDatabase({ url: config.databaseUrl, poolMax: config.databasePoolMax });
const { db } = database;

function lookupError(error: unknown, code: 'customer_not_found' | 'product_not_found', id: string): Error {
  if (error instanceof PlatformError) {
    if (error.kind === 'not_found')
      return new DomainError(
        code,
        `The platform knows no ${code === 'customer_not_found' ? 'customer' : 'product'} "${id}".`,
      );
    return new DomainError('platform_unavailable', `The platform did not answer: ${error.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

const app = express();
app.disable('x-powered-by');
app.set('query parser', 'simple');
app.use(requestIdMiddleware);
app.use((req, res, next) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    logger.info(
      {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'request',
    );
  });
  next();
});
app.use(express.json({ limit: '32kb', strict: true }));
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});

const v1 = express.Router();
v1.use(createAuthenticator(config.tokens));
v1.post('/purchases', requireRole('storefront'), async (req: Request, res: Response) => {
  const body = parseBody(req, PurchaseRequest);
  const scope = idempotencyScope(req, body);
  const caller = callerOf(req);
  const requestId = requestIdOf(req);
  const platform = createPlatformClient({ baseUrl: platformUrl, timeoutMs: config.platform.timeoutMs, requestId });

  // 1. Load and validate, outside the transaction (no connection held while the platform answers).
  const [customer, product] = await Promise.all([
    platform.getCustomer(body.customerId).catch((error: unknown) => {
      throw lookupError(error, 'customer_not_found', body.customerId);
    }),
    platform.getProduct(body.productId).catch((error: unknown) => {
      throw lookupError(error, 'product_not_found', body.productId);
    }),
  ]);
  const facts = {
    id: product.id,
    name: product.name,
    unitPrice: product.price.amount,
    currency: product.price.currency,
    active: product.active,
  };
  const refusal = checkPurchasable(facts, body.quantity, body.expectedUnitPrice);
  if (refusal) throw new DomainError(refusal.code, refusal.detail, refusal.extensions);
  const pricing = priceOf(facts, body.quantity);
  const address = { ...customer.address, line2: customer.address.line2 ?? null };
  const purchaseId = newId('pur');
  const workflowId = purchaseWorkflowId(purchaseId);

  // 2–4. Reserve, ship and commit in one transaction.
  let shipmentId: string | null = null;
  let outcome: { stored: Answer; replayed: boolean };
  try {
    outcome = await db.transaction(async (tx) => {
      const claim = await claimKey(tx, scope, purchaseId);
      if (!claim.claimed) {
        assertSameRequest(claim.row, scope);
        const stored = storedAnswer(claim.row);
        if (!stored)
          throw new DomainError(
            'idempotency_key_in_use',
            'A request with this Idempotency-Key is still being processed; retry shortly.',
          );
        return { stored, replayed: true };
      }
      await insertAttempt(tx, {
        id: purchaseId,
        customerId: body.customerId,
        productId: body.productId,
        quantity: body.quantity,
        promoCode: body.promoCode ?? null,
        workflowId,
        actor: caller.name,
        requestId,
      });
      const reservation = await reserveCredit(tx, {
        purchaseId,
        customerId: body.customerId,
        productId: facts.id,
        subtotal: pricing.subtotal,
        currency: pricing.currency,
        promoCode: body.promoCode ?? null,
        workflowId,
      });
      const priced = priceOf(facts, body.quantity, reservation.discount);
      let shipment;
      try {
        shipment = await platform.createShipment(purchaseId, {
          customerId: body.customerId,
          productId: body.productId,
          quantity: body.quantity,
          address: {
            line1: address.line1,
            ...(address.line2 ? { line2: address.line2 } : {}),
            city: address.city,
            postalCode: address.postalCode,
            country: address.country,
          },
        });
      } catch (error) {
        throw new DomainError(
          'shipment_failed',
          `The platform did not create the shipment: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      shipmentId = shipment.id;
      const purchase = await commitPurchase(tx, {
        purchaseId,
        customerId: body.customerId,
        productId: facts.id,
        productName: facts.name,
        quantity: priced.quantity,
        unitPrice: priced.unitPrice,
        subtotal: priced.subtotal,
        discount: priced.discount,
        total: priced.total,
        currency: priced.currency,
        promoCode: reservation.promoCode,
        shipmentId: shipment.id,
        shipmentStatus: shipment.status,
        address,
        workflowId,
        actor: caller.name,
        requestId,
      });
      const stored: Answer = { status: 201, body: toPurchase(purchase) };
      await storeResponse(tx, scope.scope, scope.key, stored.status, stored.body);
      return { stored, replayed: false };
    });
  } catch (error) {
    // 5. Compensate: the rollback released the reservation; cancel a shipment that was created.
    const created: string | null = shipmentId;
    if (created) {
      await platform.cancelShipment(created).catch((cancelError: unknown) => {
        logger.error(
          { err: cancelError, purchaseId, shipmentId: created },
          'compensation failed: shipment left without a purchase',
        );
      });
    }
    throw error;
  }
  const location =
    outcome.stored.status === 201 ? `/v1/purchases/${(outcome.stored.body as { id: string }).id}` : undefined;
  sendAnswer(res, { ...outcome.stored, replayed: outcome.replayed, ...(location ? { location } : {}) });
});
app.use('/v1', v1);
app.use(notFoundHandler);
app.use(createErrorHandler(logger));

const server: Server = await new Promise((resolve) => {
  const s = app.listen(config.port, '127.0.0.1', () => resolve(s));
});
logger.warn({ port: config.port }, 'baseline listening');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    server.close(() => {
      database.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  });
}
