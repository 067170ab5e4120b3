import { Text, Title } from '@clickhouse/click-ui';
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';

export function NotFoundPage(): ReactElement {
  return (
    <section className="page" data-testid="not-found">
      <Title type="h1" size="lg">Page not found</Title>
      <Text>There is nothing at this address. <Link to="/customers">Go to customers</Link>.</Text>
    </section>
  );
}

export function ForbiddenPage(): ReactElement {
  return (
    <section className="page" data-testid="forbidden">
      <Title type="h1" size="lg">Not available to your role</Title>
      <Text>This page is for admins. <Link to="/customers">Go to customers</Link>.</Text>
    </section>
  );
}
