import { Text, Title } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { useDocumentTitle } from '../lib/use-document-title';

/**
 * The admin area. Promo codes and reconciliation runs get their own pages under /admin
 * when their APIs land; until then it links the API's own reference.
 */
export function AdminPage(): ReactElement {
  useDocumentTitle('Administration');
  return (
    <section className="page" aria-labelledby="admin-title" data-testid="admin-page">
      <div className="page-header">
        <Title type="h1" size="lg" id="admin-title">Administration</Title>
        <Text color="muted">Tools for admins only.</Text>
      </div>
      <ul className="link-list">
        <li>
          <a href="/docs" target="_blank" rel="noreferrer" data-testid="admin-api-reference">API reference</a>
          <Text size="sm" color="muted">Every endpoint, its errors and its examples (opens in a new tab).</Text>
        </li>
        <li>
          <a href="/v1/openapi.json" target="_blank" rel="noreferrer">OpenAPI document</a>
          <Text size="sm" color="muted">The machine-readable contract.</Text>
        </li>
      </ul>
      <Text size="sm" color="muted">Promo codes and reconciliation runs will appear here once the service offers them.</Text>
    </section>
  );
}
