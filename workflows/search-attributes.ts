/**
 * Search attributes the workflows keep current, so operators can find executions in the
 * Temporal Web UI and CLI (e.g. `PurchaseStage = "shipping"`,
 * `ApprovalStatus = "pending"`). Registered with the dev server
 * by src/dev/temporal-server.ts and with a real cluster by the deployment (docker-compose).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ProductIdKey = defineSearchAttributeKey('ProductId', SearchAttributeType.KEYWORD);
export const PurchaseStageKey = defineSearchAttributeKey('PurchaseStage', SearchAttributeType.KEYWORD);
/**
 * How a purchase saga ended: `completed`, or the problem code its caller got
 * (`insufficient_credit`, `shipment_failed`, `purchase_cancelled` …). A saga that ended in a
 * business failure is a *Completed* execution with an outcome code; a broken one is a
 * *Failed* / *Terminated* / *TimedOut* execution without it.
 */
export const PurchaseOutcomeKey = defineSearchAttributeKey('PurchaseOutcome', SearchAttributeType.KEYWORD);
/** `pending | approved | rejected | expired` of a `creditApproval` workflow. */
export const ApprovalStatusKey = defineSearchAttributeKey('ApprovalStatus', SearchAttributeType.KEYWORD);

/** Every custom key, for servers that take them as a list (the SDK's test servers). */
export const SEARCH_ATTRIBUTE_KEYS = [
  CustomerIdKey,
  ProductIdKey,
  PurchaseStageKey,
  PurchaseOutcomeKey,
  ApprovalStatusKey,
] as const;

/** Name → Temporal type, in the form `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'Text' | 'Int' | 'Datetime'>> = {
  CustomerId: 'Keyword',
  ProductId: 'Keyword',
  PurchaseStage: 'Keyword',
  PurchaseOutcome: 'Keyword',
  ApprovalStatus: 'Keyword',
};
