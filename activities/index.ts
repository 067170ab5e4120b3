/**
 * All activities, built by one factory from their dependencies (the worker passes real ones;
 * tests may pass others). Workflows import only the *type* of this object.
 */
import { createApprovalActivities, type ApprovalActivities } from './approval.js';
import type { ActivityDeps } from './deps.js';
import { createHealthActivities, type HealthActivities } from './health.js';
import { createPurchaseActivities, type PurchaseActivities } from './purchase.js';
import { createReconcileActivities, type ReconcileActivities } from './reconcile.js';
import { createWebhookActivities, type WebhookActivities } from './webhook.js';

export type { ActivityDeps } from './deps.js';

/** Every activity the worker registers; workflows proxy this type. */
export type Activities = HealthActivities &
  PurchaseActivities &
  ReconcileActivities &
  ApprovalActivities &
  WebhookActivities;

export function createActivities(deps: ActivityDeps): Activities {
  return {
    ...createHealthActivities(deps),
    ...createPurchaseActivities(deps),
    ...createReconcileActivities(deps),
    ...createApprovalActivities(deps),
    ...createWebhookActivities(deps),
  };
}
