/** Database rows → API contracts for approvals (defined beside the rows: the outbox writes them too). */
export { toApproval } from '../../db/resource-views.js';
