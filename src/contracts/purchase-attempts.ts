/**
 * Purchase attempts for customer service: every purchase request, successful or not, listed
 * with what a pending one holds and the problem body a failed one answered; and an admin's
 * cancel of a saga stuck waiting on the platform.
 */
import { z } from 'zod';
import { Currency, ExternalId, ListQuery, NonNegativeAmount, Timestamp, freeText, instant, listOf } from './common.js';
import { PurchaseAttemptError, PurchaseStage } from './purchases.js';

export const AttemptStatus = z.enum(['pending', 'completed', 'failed']).meta({ id: 'PurchaseAttemptStatus' });
export type AttemptStatus = z.infer<typeof AttemptStatus>;

export const AttemptCancellation = z
  .object({
    actor: z.string().meta({ description: 'The admin token name that asked for the cancel' }),
    reason: z.string(),
    requestedAt: Timestamp,
  })
  .meta({ id: 'PurchaseAttemptCancellation' });
export type AttemptCancellation = z.infer<typeof AttemptCancellation>;

export const PurchaseAttemptSummary = z
  .object({
    id: z.string().meta({
      description: 'The attempt id, which is also the purchase id when it completes',
      example: 'pur_01JDQ8X4N2V7W3K5M9P0R1S2T3',
    }),
    customerId: z.string(),
    productId: z.string(),
    quantity: z.number().int(),
    promoCode: z.string().nullable(),
    status: AttemptStatus,
    stage: PurchaseStage.meta({
      description:
        "For a pending attempt, where its saga is now (the saga's `status` query); `completed` or `failed` once it ended",
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp.meta({ description: 'When the attempt ended; its creation time while pending' }),
    holdAmount: NonNegativeAmount.optional().meta({
      description: "What a pending attempt holds of the customer's credit (absent when it holds nothing yet)",
    }),
    currency: Currency.optional().meta({ description: 'The currency of `holdAmount`' }),
    error: PurchaseAttemptError.optional().meta({
      description: 'The problem body the caller got, for a failed attempt',
    }),
    purchaseId: z.string().optional().meta({ description: 'The purchase, for a completed attempt' }),
    lastError: z
      .string()
      .optional()
      .meta({ description: 'The last failure a pending saga saw (e.g. CreateShipment answering 503), for operators' }),
    workflowId: z.string().meta({ description: 'The Temporal workflow of the saga (`purchase-<id>`)' }),
    actor: z.string().meta({ description: 'The token name that made the purchase request' }),
    cancellation: AttemptCancellation.optional().meta({
      description: 'Present once an admin asked to cancel the saga',
    }),
  })
  .meta({ id: 'PurchaseAttemptSummary' });
export type PurchaseAttemptSummary = z.infer<typeof PurchaseAttemptSummary>;

export const PurchaseAttemptListQuery = ListQuery.extend({
  customerId: ExternalId.optional(),
  status: AttemptStatus.optional(),
  createdFrom: instant('Inclusive lower bound.').optional(),
  createdTo: instant('Exclusive upper bound; with `status=pending`, the stuck ones older than a threshold.').optional(),
}).strict();
export type PurchaseAttemptListQuery = z.infer<typeof PurchaseAttemptListQuery>;

export const PurchaseAttemptList = listOf(PurchaseAttemptSummary, 'PurchaseAttemptList');
export type PurchaseAttemptList = z.infer<typeof PurchaseAttemptList>;

export const CancelAttemptRequest = z
  .strictObject({
    reason: freeText(1, 500).meta({
      description:
        'Why the saga is given up; recorded with the actor and shown to whoever reads the attempt. Not only whitespace, no NUL character (U+0000).',
    }),
  })
  .meta({ id: 'CancelPurchaseAttemptRequest' });
export type CancelAttemptRequest = z.infer<typeof CancelAttemptRequest>;
