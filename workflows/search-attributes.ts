/**
 * Search attributes the workflows keep current, so operators can find executions in the
 * Temporal Web UI and CLI (e.g. `PurchaseStage = "shipping"`). Registered with the dev server
 * by src/temporal/dev-server.ts and with a real cluster by the deployment (docker-compose).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ProductIdKey = defineSearchAttributeKey('ProductId', SearchAttributeType.KEYWORD);
export const PurchaseStageKey = defineSearchAttributeKey('PurchaseStage', SearchAttributeType.KEYWORD);

/** Name → Temporal type, in the form `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, 'Keyword' | 'Text' | 'Int' | 'Datetime'>> = {
  CustomerId: 'Keyword',
  ProductId: 'Keyword',
  PurchaseStage: 'Keyword',
};
