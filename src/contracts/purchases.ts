/** Purchases, purchase attempts and refunds (docs/api.md, "Purchases"). */
import { z } from 'zod';
import {
  Address,
  Amount,
  Currency,
  ExternalId,
  ListQuery,
  NonNegativeAmount,
  Note,
  Problem,
  Timestamp,
  instant,
  listOf,
} from './common.js';
import { whenField, withRules } from './rules.js';

export const MAX_QUANTITY = 100;

export const PurchaseRequest = z
  .strictObject({
    customerId: ExternalId.meta({ description: "The platform's customer id", example: 'cus_ada' }),
    productId: ExternalId.meta({ description: "The platform's product id", example: 'prod_mouse' }),
    quantity: z.number().int().min(1).max(MAX_QUANTITY).default(1),
    promoCode: z.string().trim().min(1).max(64).optional(),
    expectedUnitPrice: Amount.optional().meta({
      description:
        'If given and the current price differs → 409 price_changed (with the current price). Protects the customer from paying a price they did not see.',
    }),
  })
  .meta({ id: 'PurchaseRequest' });
export type PurchaseRequest = z.input<typeof PurchaseRequest>;
export type PurchaseRequestParsed = z.output<typeof PurchaseRequest>;

export const PurchaseStatus = z.enum(['completed', 'partially_refunded', 'refunded']).meta({ id: 'PurchaseStatus' });
export type PurchaseStatus = z.infer<typeof PurchaseStatus>;

export const Purchase = z
  .object({
    id: z.string().meta({ example: 'pur_01JDQ8X4N2V7W3K5M9P0R1S2T3' }),
    customerId: z.string(),
    productId: z.string(),
    productName: z.string().meta({ description: 'Snapshot at purchase time' }),
    quantity: z.number().int(),
    unitPrice: NonNegativeAmount.meta({ description: 'Snapshot at purchase time' }),
    subtotal: NonNegativeAmount,
    discount: NonNegativeAmount,
    total: NonNegativeAmount,
    currency: Currency,
    promoCode: z.string().nullable(),
    status: PurchaseStatus,
    refundedAmount: NonNegativeAmount,
    shipment: z.object({ id: z.string(), status: z.string(), address: Address }),
    createdAt: Timestamp,
    workflowId: z.string(),
  })
  .meta({
    id: 'Purchase',
    description: 'A completed purchase; product, prices and address are a snapshot and never change',
  });
export type Purchase = z.infer<typeof Purchase>;

export const RefundReason = z
  .enum(['requested_by_customer', 'damaged', 'not_delivered', 'duplicate', 'goodwill', 'other'])
  .meta({ id: 'RefundReason' });
export type RefundReason = z.infer<typeof RefundReason>;

export const Refund = z
  .object({
    id: z.string().meta({ example: 'ref_01JDQ8X4N2V7W3K5M9P0R1S2T3' }),
    purchaseId: z.string(),
    amount: Amount,
    currency: Currency,
    reason: RefundReason,
    note: z.string().nullable(),
    actor: z.string(),
    createdAt: Timestamp,
  })
  .meta({ id: 'Refund' });
export type Refund = z.infer<typeof Refund>;

export const PurchaseWithRefunds = Purchase.extend({ refunds: z.array(Refund) }).meta({ id: 'PurchaseWithRefunds' });
export type PurchaseWithRefunds = z.infer<typeof PurchaseWithRefunds>;

export const RefundRequest = withRules(
  z.strictObject({
    amount: Amount.optional().meta({ description: 'Defaults to everything still refundable' }),
    reason: RefundReason,
    note: Note.optional(),
  }),
  [whenField('reason', ['other'], { required: ['note'], message: 'a note is required when reason is "other"' })],
  { id: 'RefundRequest', description: '`note` is required for reason `other`' },
);
export type RefundRequest = z.infer<typeof RefundRequest>;

export const PurchaseStage = z
  .enum([
    'started',
    'loading',
    'reserving',
    'shipping',
    'verifying_shipment',
    'committing',
    'compensating',
    'completed',
    'failed',
  ])
  .meta({ id: 'PurchaseStage', description: 'Where the saga is; also the PurchaseStage search attribute in Temporal' });
export type PurchaseStage = z.infer<typeof PurchaseStage>;

export const PurchaseAttemptError = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
  })
  .catchall(z.unknown());

export const PurchaseAttempt = z
  .object({
    id: z.string(),
    status: z.enum(['pending', 'completed', 'failed']),
    stage: PurchaseStage,
    purchase: Purchase.optional(),
    error: PurchaseAttemptError.optional().meta({ description: 'The problem body the caller got' }),
  })
  .meta({ id: 'PurchaseAttempt' });
export type PurchaseAttempt = z.infer<typeof PurchaseAttempt>;

/**
 * A problem of `POST /v1/purchases` once its attempt is recorded: it names the attempt, so a
 * failure answered at once can be looked up later at `/v1/purchase-attempts/{attemptId}`.
 */
export const PurchaseProblem = Problem.extend({
  attemptId: z.string().meta({
    description: 'The purchase attempt this problem ended (`GET /v1/purchase-attempts/{attemptId}`)',
    example: 'pur_01JDQ8X4N2V7W3K5M9P0R1S2T3',
  }),
})
  .catchall(z.unknown())
  .meta({
    id: 'PurchaseProblem',
    description: 'RFC 9457 problem details of a recorded purchase attempt, with its `attemptId`',
  });
export type PurchaseProblem = z.infer<typeof PurchaseProblem>;

/** 503 `overloaded`: admission control refused a new purchase before anything was recorded. */
export const OverloadedProblem = Problem.extend({
  status: z.literal(503),
  code: z.literal('overloaded'),
  retryAfter: z.number().int().min(1).meta({
    description: 'Seconds to wait before retrying (also the `Retry-After` header); retry with the same Idempotency-Key',
    example: 1,
  }),
})
  .catchall(z.unknown())
  .meta({
    id: 'OverloadedProblem',
    description:
      'RFC 9457 problem details of a purchase refused by admission control: no attempt, no hold, no claimed key (so no `attemptId`)',
  });
export type OverloadedProblem = z.infer<typeof OverloadedProblem>;

export const PurchasePending = z
  .object({ id: z.string(), status: z.literal('pending') })
  .meta({ id: 'PurchasePending' });
export type PurchasePending = z.infer<typeof PurchasePending>;

export const PurchaseListQuery = ListQuery.extend({
  purchaseId: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'a purchase id such as pur_01JD…')
    .optional()
    .meta({ description: 'Exact purchase id (a search: at most one result)' }),
  shipmentId: ExternalId.optional().meta({ description: 'Exact platform shipment id (a search: at most one result)' }),
  promoCode: z
    .string()
    .regex(/^[A-Za-z0-9_-]{3,32}$/, '3–32 letters, digits, _ or -')
    .optional()
    .meta({ description: 'Purchases that used this promo code (case-insensitive: codes are stored upper-case)' }),
  customerId: ExternalId.optional(),
  productId: ExternalId.optional(),
  status: PurchaseStatus.optional(),
  createdFrom: instant('Inclusive lower bound.').optional(),
  createdTo: instant('Exclusive upper bound.').optional(),
}).strict();
export type PurchaseListQuery = z.infer<typeof PurchaseListQuery>;

export const PurchaseList = listOf(Purchase, 'PurchaseList');
export type PurchaseList = z.infer<typeof PurchaseList>;
export const RefundList = listOf(Refund, 'RefundList');
export type RefundList = z.infer<typeof RefundList>;

export const PurchaseIdParam = z.object({
  purchaseId: z.string().regex(/^pur_[0-9A-Z]{26}$/, 'a purchase id such as pur_01JD…'),
});
export const AttemptIdParam = z.object({
  attemptId: z.string().regex(/^pur_[0-9A-Z]{26}$/, 'a purchase id such as pur_01JD…'),
});
