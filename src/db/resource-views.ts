/**
 * Database rows → the resources exactly as the API returns them. They live beside the rows
 * because the outbox writes them too: an event's `data` is built in the transaction that makes
 * the change (src/db/events-repository.ts), by the same function the API's GET uses, so the two
 * cannot drift. src/app and src/api re-export them.
 */
import type { Approval } from '../contracts/approvals.js';
import type { CreditReason, LedgerEntry } from '../contracts/credit.js';
import type { Purchase, PurchaseAttempt, PurchaseWithRefunds, Refund } from '../contracts/purchases.js';
import type { ApprovalRow, LedgerEntryRow, PurchaseAttemptRow, PurchaseRow, RefundRow } from './schema.js';

export function toPurchase(row: PurchaseRow): Purchase {
  return {
    id: row.id,
    customerId: row.customerId,
    productId: row.productId,
    productName: row.productName,
    quantity: row.quantity,
    unitPrice: row.unitPrice,
    subtotal: row.subtotal,
    discount: row.discount,
    total: row.total,
    currency: row.currency,
    promoCode: row.promoCode,
    status: row.status,
    refundedAmount: row.refundedAmount,
    shipment: { id: row.shipmentId, status: row.shipmentStatus, address: row.shippingAddress },
    createdAt: row.createdAt.toISOString(),
    workflowId: row.workflowId,
  };
}

export function toRefund(row: RefundRow): Refund {
  return {
    id: row.id,
    purchaseId: row.purchaseId,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    note: row.note,
    actor: row.actor,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A purchase as GET /v1/purchases/{id} returns it. */
export function toPurchaseWithRefunds(row: PurchaseRow, refunds: RefundRow[]): PurchaseWithRefunds {
  return { ...toPurchase(row), refunds: refunds.map(toRefund) };
}

/** An attempt that ended in failure, as GET /v1/purchase-attempts/{id} returns it. */
export function toFailedAttempt(row: PurchaseAttemptRow): PurchaseAttempt {
  return {
    id: row.id,
    status: 'failed',
    stage: 'failed',
    ...(row.error ? { error: row.error as PurchaseAttempt['error'] } : {}),
  };
}

/** The columns of an entry that its resource shows (a ledger page reads only these). */
export type LedgerEntryViewRow = Pick<
  LedgerEntryRow,
  | 'id'
  | 'customerId'
  | 'type'
  | 'amount'
  | 'currency'
  | 'balanceAfter'
  | 'reason'
  | 'note'
  | 'actor'
  | 'approvedBy'
  | 'purchaseId'
  | 'refundId'
  | 'createdAt'
>;

export function toLedgerEntry(row: LedgerEntryViewRow): LedgerEntry {
  return {
    id: row.id,
    customerId: row.customerId,
    type: row.type,
    amount: row.amount,
    currency: row.currency,
    balanceAfter: row.balanceAfter,
    reason: row.reason,
    note: row.note,
    actor: row.actor,
    approvedBy: row.approvedBy,
    purchaseId: row.purchaseId,
    refundId: row.refundId,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    customerId: row.customerId,
    kind: row.kind,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason as CreditReason,
    note: row.note,
    requestedBy: row.requestedBy,
    requestedAt: row.createdAt.toISOString(),
    status: row.status,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decisionNote: row.decisionNote,
    entryId: row.entryId,
    expiresAt: row.expiresAt.toISOString(),
    workflowId: row.workflowId,
  };
}
