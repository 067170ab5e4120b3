/**
 * The navigation, by section. Each item names the permission it needs; a section with no
 * visible item is not shown at all.
 */
import type { Permission } from './session';

export interface NavItem {
  readonly label: string;
  readonly to: string;
  readonly permission: Permission;
  readonly testId: string;
  /** A page served by the API rather than by this app (opens in a new tab). */
  readonly external?: boolean;
  /** Active only on exactly this path, not on the pages below it (which have items of their own). */
  readonly end?: boolean;
}

export interface NavSection {
  readonly title: string;
  readonly testId: string;
  readonly items: readonly NavItem[];
}

export const NAVIGATION: readonly NavSection[] = [
  {
    title: 'Customer service',
    testId: 'nav-section-service',
    items: [
      { label: 'Customers', to: '/customers', permission: 'readCustomers', testId: 'nav-customers' },
      { label: 'Purchases', to: '/purchases', permission: 'readCustomers', testId: 'nav-purchases' },
      { label: 'Approvals', to: '/approvals', permission: 'readCustomers', testId: 'nav-approvals' },
    ],
  },
  {
    title: 'Admin',
    testId: 'nav-section-admin',
    items: [
      { label: 'Administration', to: '/admin', permission: 'admin', testId: 'nav-admin', end: true },
      { label: 'Stuck purchases', to: '/admin/stuck-purchases', permission: 'admin', testId: 'nav-stuck-purchases' },
      { label: 'Promo codes', to: '/admin/promo-codes', permission: 'admin', testId: 'nav-promo-codes' },
      { label: 'Reconciliation', to: '/admin/reconciliation', permission: 'admin', testId: 'nav-reconciliation' },
      { label: 'Webhooks', to: '/admin/webhooks', permission: 'admin', testId: 'nav-webhooks' },
      { label: 'API reference', to: '/docs', permission: 'admin', testId: 'nav-api-reference', external: true },
    ],
  },
];
