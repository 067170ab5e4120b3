import { Text, Title } from '@clickhouse/click-ui';
import type { ReactElement, ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../api/client';
import { useDocumentTitle } from '../lib/use-document-title';

export function NotFoundPage(): ReactElement {
  return (
    <section className="page" data-testid="not-found">
      <Title type="h1" size="lg">
        Page not found
      </Title>
      <Text>
        There is nothing at this address. <Link to="/customers">Go to customers</Link>.
      </Text>
    </section>
  );
}

export function ForbiddenPage(): ReactElement {
  return (
    <section className="page" data-testid="forbidden">
      <Title type="h1" size="lg">
        Not available to your role
      </Title>
      <Text>
        This page is for admins. <Link to="/customers">Go to customers</Link>.
      </Text>
    </section>
  );
}

/** Whether a failed read means "there is no such thing" (unknown id, or one that cannot be an id at all). */
export function isNotFound(error: unknown, code: string): boolean {
  return (
    error instanceof ApiError && (error.code === code || (error.status === 400 && error.code === 'validation_failed'))
  );
}

/** A real not-found page for a bad id in the address: what was looked for, and where to look instead (no Retry: retrying cannot help). */
export function ResourceNotFound({
  what,
  id,
  children,
}: {
  readonly what: string;
  readonly id: string;
  readonly children: ReactNode;
}): ReactElement {
  useDocumentTitle(`No such ${what}`);
  return (
    <div className="state state-empty not-found" role="alert" data-testid="resource-not-found">
      <div className="state-error-body">
        <Title type="h2" size="md">
          No {what} <code>{id}</code>
        </Title>
        <Text>{children}</Text>
      </div>
    </div>
  );
}
