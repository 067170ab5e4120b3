/** Every workflow the worker registers. Deterministic code only (see eslint.config.js). */
export { ping } from './ping.js';
export { cancelPurchaseUpdate, purchaseProduct, statusQuery } from './purchase.js';
export { refundPurchase } from './refund.js';
export { reconcileLedger } from './reconcile.js';
export { approvalQuery, approveUpdate, creditApproval, recordedUpdate, rejectUpdate } from './approval.js';
export { deliveryStatusQuery, wakeSignal, webhookEndpointDelivery, webhookSingleDelivery } from './webhook.js';
