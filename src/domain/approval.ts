/**
 * Maker–checker rules for large credit changes. Pure: the API, the activities and the
 * `creditApproval` workflow share them.
 */

export type ApprovalKind = 'grant' | 'deduction';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

/**
 * Whether a grant or deduction by a caller of `role` must wait for an admin: only `support`
 * callers, only at or above the threshold, and never when the threshold is 0 (off). Admins'
 * own changes post at once: they are the checkers.
 */
export function needsApproval(role: 'storefront' | 'support' | 'admin', amount: number, threshold: number): boolean {
  return role === 'support' && threshold > 0 && amount >= threshold;
}

/** One workflow per approval, named after it, so a replayed request attaches to the same execution. */
export function approvalWorkflowId(approvalId: string): string {
  return `approval-${approvalId}`;
}

export function isApprovalId(id: string): boolean {
  return id.startsWith('apr_');
}

/** The ledger entry's idempotency key: an approval posts at most one entry, whatever retries. */
export function approvalEntryKey(approvalId: string): string {
  return `approval:${approvalId}`;
}
