/**
 * Workflow variants for bench/experiments/temporal-cost.ts: the purchase saga's happy path
 * (load → reserve → ship → commit, the real activities with the saga's timeouts) shaped in the
 * ways bench/README.md lists for tuning, so that their Temporal cost can be measured
 * before anyone changes workflows/. Not a second saga: no validation, compensation or
 * status query — a failure simply fails the workflow. Deterministic code only.
 */
import {
  allHandlersFinished,
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { priceOf } from '../../src/domain/purchase.js';
import { PurchaseStageKey } from '../../workflows/search-attributes.js';

import { runPurchaseSaga, type PurchaseInput, type PurchaseOutcome } from '../../workflows/purchase.js';

export { ping, purchaseProduct } from '../../workflows/index.js';

/** Answers with the saga's outcome once it has one: how a caller could learn the result with Update-with-Start. */
export const outcomeUpdate = defineUpdate<PurchaseOutcome>('outcome');

/** The real saga (v3) with `outcomeUpdate`, to compare Update-with-Start with start + the history long poll. */
export async function purchaseProductWithOutcomeUpdate(input: PurchaseInput): Promise<PurchaseOutcome> {
  let outcome: PurchaseOutcome | null = null;
  setHandler(outcomeUpdate, async () => {
    await condition(() => outcome !== null);
    return outcome as PurchaseOutcome;
  });
  outcome = await runPurchaseSaga(input, 'v3');
  await condition(allHandlersFinished); // the waiting update answers before the workflow completes
  return outcome;
}

/** The real saga in its v2 shape (four local activities), to measure beside `purchaseProduct` (v3). */
export async function purchaseProductV2(input: PurchaseInput): Promise<PurchaseOutcome> {
  return runPurchaseSaga(input, 'v2');
}

export interface VariantInput {
  readonly purchaseId: string;
  readonly customerId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly actor: string;
}

const retry = { initialInterval: '100 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' } as const;
const remote = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry });
const local = proxyLocalActivities<Activities>({ startToCloseTimeout: '15 seconds', retry });

type Steps = Pick<Activities, 'loadPurchaseContext' | 'reserveCredit' | 'createShipment' | 'commitPurchase'>;

async function happyPath(input: VariantInput, load: Steps, db: Steps, ship: Steps, upserts: boolean): Promise<string> {
  const workflowId = `purchase-${input.purchaseId}`;
  const stage = (value: string): void => {
    if (upserts) upsertSearchAttributes([{ key: PurchaseStageKey, value }]);
  };
  stage('loading');
  const context = await load.loadPurchaseContext({
    customerId: input.customerId,
    productId: input.productId,
    requestId: null,
  });
  stage('reserving');
  const pricing = priceOf(context.product, input.quantity);
  const reservation = await db.reserveCredit({
    purchaseId: input.purchaseId,
    customerId: input.customerId,
    productId: context.product.id,
    subtotal: pricing.subtotal,
    currency: pricing.currency,
    promoCode: null,
    workflowId,
  });
  stage('shipping');
  const shipment = await ship.createShipment({
    purchaseId: input.purchaseId,
    customerId: input.customerId,
    productId: input.productId,
    quantity: input.quantity,
    address: context.customer.address,
    requestId: null,
  });
  stage('committing');
  const priced = priceOf(context.product, input.quantity, reservation.discount);
  await db.commitPurchase({
    purchaseId: input.purchaseId,
    customerId: input.customerId,
    productId: context.product.id,
    productName: context.product.name,
    quantity: priced.quantity,
    unitPrice: priced.unitPrice,
    subtotal: priced.subtotal,
    discount: priced.discount,
    total: priced.total,
    currency: priced.currency,
    promoCode: reservation.promoCode,
    shipmentId: shipment.id,
    shipmentStatus: shipment.status,
    address: context.customer.address,
    workflowId,
    actor: input.actor,
    requestId: null,
  });
  stage('completed');
  return input.purchaseId;
}

/** The saga's shape (4 activities, 5 stage upserts) without its failure paths. */
export async function variantActivities(input: VariantInput): Promise<string> {
  return happyPath(input, remote, remote, remote, true);
}

/** As above, without the 5 search-attribute upserts. */
export async function variantNoUpserts(input: VariantInput): Promise<string> {
  return happyPath(input, remote, remote, remote, false);
}

/** Database steps (reserve, commit) as local activities; platform calls stay activities. */
export async function variantLocalDb(input: VariantInput): Promise<string> {
  return happyPath(input, remote, local, remote, false);
}

/** Every step a local activity: one workflow task for the whole saga. */
export async function variantAllLocal(input: VariantInput): Promise<string> {
  return happyPath(input, local, local, local, false);
}
