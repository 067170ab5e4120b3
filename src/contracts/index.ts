/** Request and response contracts of the purchase service, shared by the API, tests and the internal app. */
export * from './common.js';
export * from './credit.js';
export * from './purchases.js';
export * from './catalog.js';
export * from './session.js';
export * from './promo-codes.js';
export * from './reconciliation.js';
export * from './approvals.js';
export * from './audit.js';
export * from './purchase-attempts.js';
export * from './events.js';
export * from './webhooks.js';
