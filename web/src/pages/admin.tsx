import { Text, Title } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { Link, Route, Routes } from 'react-router-dom';
import { useDocumentTitle } from '../lib/use-document-title';
import { PromoCodePage, PromoCodesPage } from './admin-promo-codes';
import { ReconciliationRunPage, ReconciliationRunsPage } from './admin-reconciliation';
import { StuckPurchasesPage } from './admin-stuck';
import { WebhookEndpointPage, WebhooksPage } from './admin-webhooks';
import { NotFoundPage } from './not-found';

/** The admin area: its own pages under /admin, so the app's router needs one entry for all of them. */
export function AdminPage(): ReactElement {
  return (
    <Routes>
      <Route index element={<AdminHome />} />
      <Route path="stuck-purchases" element={<StuckPurchasesPage />} />
      <Route path="promo-codes" element={<PromoCodesPage />} />
      <Route path="promo-codes/:code" element={<PromoCodePage />} />
      <Route path="reconciliation" element={<ReconciliationRunsPage />} />
      <Route path="reconciliation/:runId" element={<ReconciliationRunPage />} />
      <Route path="webhooks" element={<WebhooksPage />} />
      <Route path="webhooks/:endpointId" element={<WebhookEndpointPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}

function AdminHome(): ReactElement {
  useDocumentTitle('Administration');
  return (
    <section className="page" aria-labelledby="admin-title" data-testid="admin-page">
      <div className="page-header">
        <Title type="h1" size="lg" id="admin-title">
          Administration
        </Title>
        <Text color="muted">Tools for admins only.</Text>
      </div>
      <ul className="link-list">
        <li>
          <Link to="/admin/stuck-purchases" data-testid="admin-stuck-purchases">
            Stuck purchases
          </Link>
          <Text size="sm" color="muted">
            Purchases waiting on the platform for longer than they should, with what they hold; cancel one and its
            credit is released.
          </Text>
        </li>
        <li>
          <Link to="/admin/promo-codes" data-testid="admin-promo-codes">
            Promo codes
          </Link>
          <Text size="sm" color="muted">
            Create, edit and deactivate codes; see their redemptions and who changed what.
          </Text>
        </li>
        <li>
          <Link to="/admin/reconciliation" data-testid="admin-reconciliation">
            Reconciliation
          </Link>
          <Text size="sm" color="muted">
            The checks of the books, their findings and what was done about them; start a run now.
          </Text>
        </li>
        <li>
          <Link to="/admin/webhooks" data-testid="admin-webhooks">
            Webhooks
          </Link>
          <Text size="sm" color="muted">
            The URLs that receive the service’s events: add one, send a test event, see its deliveries and resend.
          </Text>
        </li>
        <li>
          <a href="/docs" target="_blank" rel="noreferrer" data-testid="admin-api-reference">
            API reference
          </a>
          <Text size="sm" color="muted">
            Every endpoint, its errors and its examples (opens in a new tab).
          </Text>
        </li>
        <li>
          <a href="/v1/openapi.json" target="_blank" rel="noreferrer">
            OpenAPI document
          </a>
          <Text size="sm" color="muted">
            The machine-readable contract.
          </Text>
        </li>
      </ul>
    </section>
  );
}
