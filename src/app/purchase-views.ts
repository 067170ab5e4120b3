/** Database rows → API contracts for purchases and refunds (defined beside the rows: the outbox writes them too). */
export { toPurchase, toPurchaseWithRefunds, toRefund } from '../db/resource-views.js';
