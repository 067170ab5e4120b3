/**
 * Activities of the purchase saga and of refunds. Each is idempotent, because Temporal retries
 * them: the platform's CreateShipment is keyed by the purchase id, and every database step is
 * keyed by the purchase, hold or refund id.
 *
 * An activity's name is recorded in every workflow history that ran it (local activities'
 * markers included) and replay checks it, so names never change: a database step is named as
 * the repository function it calls, and if one drifts, the function is renamed.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DomainError } from '../src/domain/errors.js';
import type { ProductFacts } from '../src/domain/purchase.js';
import {
  applyRefund,
  commitPurchase,
  recordAttemptFailure,
  releaseCredit,
  reserveCredit,
  type CommitInput,
  type RefundInput,
  type Reservation,
  type ReserveInput,
} from '../src/db/purchase-repository.js';
import type { AddressSnapshot } from '../src/db/schema.js';
import { PlatformError } from '../src/platform/client.js';
import type { ActivityDeps } from './deps.js';
import { refusal, refusingDomainErrors } from './failures.js';

export interface PurchaseContext {
  readonly customer: { readonly id: string; readonly address: AddressSnapshot };
  readonly product: ProductFacts;
}

export interface ShipmentRef {
  readonly id: string;
  readonly status: string;
  /** Where the platform ships it (absent in results recorded before it was added). */
  readonly address?: AddressSnapshot;
}

function addressOf(address: {
  line1: string;
  line2?: string | null | undefined;
  city: string;
  postalCode: string;
  country: string;
}): AddressSnapshot {
  return {
    line1: address.line1,
    line2: address.line2 ?? null,
    city: address.city,
    postalCode: address.postalCode,
    country: address.country,
  };
}

export interface CreateShipmentInput {
  readonly purchaseId: string;
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly address: AddressSnapshot;
  readonly requestId: string | null;
}

export interface PurchaseActivities {
  loadPurchaseContext(input: {
    customerId: string;
    productId: string;
    requestId: string | null;
  }): Promise<PurchaseContext>;
  /** Reserves the promo redemption and the credit hold for the discounted total. */
  reserveCredit(input: ReserveInput): Promise<Reservation>;
  createShipment(input: CreateShipmentInput): Promise<ShipmentRef>;
  findShipment(input: { purchaseId: string; requestId: string | null }): Promise<ShipmentRef | null>;
  commitPurchase(input: CommitInput): Promise<{ purchaseId: string }>;
  releaseCredit(input: { purchaseId: string; reason: string }): Promise<{ released: boolean }>;
  recordAttemptFailure(input: { purchaseId: string; problem: Record<string, unknown> }): Promise<void>;
  applyRefund(input: RefundInput): Promise<{ refundId: string; amount: number }>;
}

function platformFailure(
  error: unknown,
  notFoundCode: 'customer_not_found' | 'product_not_found' | null,
  id: string,
): unknown {
  if (!(error instanceof PlatformError)) return error;
  if (error.kind === 'not_found' && notFoundCode) {
    return refusal(
      new DomainError(
        notFoundCode,
        `The platform knows no ${notFoundCode === 'customer_not_found' ? 'customer' : 'product'} "${id}".`,
        { [notFoundCode === 'customer_not_found' ? 'customerId' : 'productId']: id },
      ),
    );
  }
  // Transient (and malformed answers, which are the platform's bug and may clear): retry.
  return ApplicationFailure.create({
    type: `platform_${error.kind}`,
    message: error.message,
    nonRetryable: false,
    details: [{ status: error.status, operation: error.operation }],
  });
}

export function createPurchaseActivities(deps: ActivityDeps): PurchaseActivities {
  const { db } = deps.database;
  const log = (): ReturnType<typeof Context.current>['log'] => Context.current().log;

  return {
    async loadPurchaseContext({ customerId, productId, requestId }) {
      // Always fresh from the platform: the price charged and the address shipped to are
      // never served from a cache (the accuracy rule in the README).
      const platform = deps.platform(requestId ?? undefined);
      const [customer, product] = await Promise.all([
        platform.getCustomer(customerId, { fresh: true }).catch((error: unknown) => {
          throw platformFailure(error, 'customer_not_found', customerId);
        }),
        platform.getProduct(productId, { fresh: true }).catch((error: unknown) => {
          throw platformFailure(error, 'product_not_found', productId);
        }),
      ]);
      return {
        customer: { id: customer.id, address: addressOf(customer.address) },
        product: {
          id: product.id,
          name: product.name,
          unitPrice: product.price.amount,
          currency: product.price.currency,
          active: product.active,
        },
      };
    },

    async reserveCredit(input) {
      return refusingDomainErrors(() => reserveCredit(db, input));
    },

    async createShipment(input) {
      const attempt = Context.current().info.attempt;
      try {
        const shipment = await deps.platform(input.requestId ?? undefined).createShipment(input.purchaseId, {
          customerId: input.customerId,
          productId: input.productId,
          quantity: input.quantity,
          address: {
            line1: input.address.line1,
            ...(input.address.line2 ? { line2: input.address.line2 } : {}),
            city: input.address.city,
            postalCode: input.address.postalCode,
            country: input.address.country,
          },
        });
        return { id: shipment.id, status: shipment.status, address: addressOf(shipment.address) };
      } catch (error) {
        if (error instanceof PlatformError && (error.kind === 'rejected' || error.kind === 'not_found')) {
          // A 4xx: the platform refused this shipment; retrying the same request cannot help.
          throw ApplicationFailure.create({
            type: 'shipment_rejected',
            message: error.message,
            nonRetryable: true,
            details: [
              { platformStatus: error.status, platformCode: error.platformCode, platformReason: error.message },
            ],
          });
        }
        log().warn('createShipment failed, will retry within the budget', {
          purchaseId: input.purchaseId,
          attempt,
          error: String(error),
        });
        throw platformFailure(error, null, input.purchaseId);
      }
    },

    async findShipment({ purchaseId, requestId }) {
      try {
        const shipment = await deps.platform(requestId ?? undefined).findShipmentByIdempotencyKey(purchaseId);
        return shipment ? { id: shipment.id, status: shipment.status, address: addressOf(shipment.address) } : null;
      } catch (error) {
        throw platformFailure(error, null, purchaseId);
      }
    },

    async commitPurchase(input) {
      const purchase = await commitPurchase(db, input);
      return { purchaseId: purchase.id };
    },

    async releaseCredit({ purchaseId, reason }) {
      return { released: await releaseCredit(db, purchaseId, reason) };
    },

    async recordAttemptFailure({ purchaseId, problem }) {
      await recordAttemptFailure(db, purchaseId, problem);
    },

    async applyRefund(input) {
      const refund = await refusingDomainErrors(() => applyRefund(db, input));
      return { refundId: refund.id, amount: refund.amount };
    },
  };
}
