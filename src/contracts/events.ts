/** The events feed (support): every change that matters outside, oldest first, from a sequence. */
import { z } from 'zod';
import { Approval } from './approvals.js';
import { Timestamp } from './common.js';
import { LedgerEntry } from './credit.js';
import { PurchaseAttempt, PurchaseWithRefunds, Refund } from './purchases.js';
import { ReconciliationFinding } from './reconciliation.js';

export const EVENT_TYPES = [
  'purchase.completed',
  'purchase.failed',
  'refund.created',
  'credit.granted',
  'credit.deducted',
  'approval.requested',
  'approval.decided',
  'reconciliation.finding',
] as const;
/** What the storefront role may read: the customer-facing changes (approvals and reconciliation findings are internal). */
export const STOREFRONT_EVENT_TYPES: readonly EventType[] = [
  'purchase.completed',
  'purchase.failed',
  'refund.created',
  'credit.granted',
  'credit.deducted',
];
export const EventType = z.enum(EVENT_TYPES).meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventType>;

const EventId = z
  .string()
  .regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/)
  .meta({ description: "'evt_' + a ULID; unique", example: 'evt_01JDQ8X4N2V7W3K5M9P0R1S2T3' });
const Sequence = z.number().int().min(1).meta({
  description:
    'Global, gap-free and in commit order: every event has the next number, and a reader that has seen N has seen every event up to N',
  example: 42,
});

function eventOf<T extends EventType, D extends z.ZodType>(
  type: T,
  data: D,
  description: string,
): z.ZodObject<{
  id: typeof EventId;
  sequence: typeof Sequence;
  type: z.ZodLiteral<T>;
  createdAt: typeof Timestamp;
  data: D;
}> {
  return z
    .object({
      id: EventId,
      sequence: Sequence,
      type: z.literal(type),
      createdAt: Timestamp,
      data,
    })
    .meta({
      id: `Event_${type.replace('.', '_')}`,
      description: `\`${type}\`: \`data\` is ${description.charAt(0).toLowerCase()}${description.slice(1)}`,
    });
}

export const Event = z
  .discriminatedUnion('type', [
    eventOf(
      'purchase.completed',
      PurchaseWithRefunds,
      'The purchase as GET /v1/purchases/{purchaseId} returned it when it committed',
    ),
    eventOf(
      'purchase.failed',
      PurchaseAttempt,
      'The failed attempt as GET /v1/purchase-attempts/{attemptId} returns it (its problem body in `error`)',
    ),
    eventOf('refund.created', Refund, 'The refund as the refund API returns it'),
    eventOf('credit.granted', LedgerEntry, 'The ledger entry of the grant, as the credit API returns it'),
    eventOf('credit.deducted', LedgerEntry, 'The ledger entry of the deduction, as the credit API returns it'),
    eventOf(
      'approval.requested',
      Approval,
      'The approval as GET /v1/approvals/{approvalId} returned it when it was requested',
    ),
    eventOf(
      'approval.decided',
      Approval,
      'The approval once approved, rejected or expired (`status`), as GET /v1/approvals/{approvalId} returned it then',
    ),
    eventOf(
      'reconciliation.finding',
      ReconciliationFinding,
      'One finding of a reconciliation run, as GET /v1/reconciliation/runs/{runId} shows it',
    ),
  ])
  .meta({ id: 'Event' });
export type Event = z.infer<typeof Event>;

/** A comma-separated list of event types (one `type` value). */
const EventTypeList = z
  .string()
  .regex(
    new RegExp(
      `^(${EVENT_TYPES.map((t) => t.replace('.', '\\.')).join('|')})(,(${EVENT_TYPES.map((t) => t.replace('.', '\\.')).join('|')}))*$`,
    ),
    'event types, comma-separated',
  )
  .meta({ example: 'purchase.completed,purchase.failed' });

export const EventListQuery = z.object({
  after: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,14})$/, 'a non-negative integer (a sequence)')
    .default('0')
    .meta({
      description:
        'Events with a sequence greater than this: 0 (the default) from the start, then the `nextAfter` of the previous page',
      example: '0',
    }),
  type: z
    .union([EventTypeList, z.array(EventTypeList).min(1).max(8)])
    .optional()
    .meta({
      description:
        'Only these types: repeat the parameter (`type=refund.created&type=credit.granted`) or give a comma-separated list (`type=refund.created,credit.granted`), or both. All types when absent.',
    }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type EventListQuery = z.infer<typeof EventListQuery>;

export const EventList = z
  .object({
    data: z.array(Event).meta({ description: 'Oldest first (ascending `sequence`)' }),
    nextAfter: z.number().int().min(0).meta({
      description:
        'Pass as `after` for the next page: the sequence of the last event returned, or the `after` of the request when there were none (poll again later with the same value)',
      example: 42,
    }),
  })
  .meta({ id: 'EventList' });
export type EventList = z.infer<typeof EventList>;
