/** Database rows → API contracts for purchases and refunds. */
import type { Purchase, PurchaseWithRefunds, Refund } from '../contracts/purchases.js';
import type { PurchaseRow, RefundRow } from '../db/schema.js';

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

export function toPurchaseWithRefunds(row: PurchaseRow, refunds: RefundRow[]): PurchaseWithRefunds {
  return { ...toPurchase(row), refunds: refunds.map(toRefund) };
}
