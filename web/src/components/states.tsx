/** Loading, empty and error states, the same on every page. */
import { Button, Icon, Text } from '@clickhouse/click-ui';
import type { ReactElement, ReactNode } from 'react';
import { describeError } from '../lib/problem';

export function Loading({ what, testId }: { readonly what: string; readonly testId?: string }): ReactElement {
  return (
    <div className="state state-loading" role="status" aria-live="polite" data-testid={testId ?? 'loading'}>
      <Icon name="loading-animated" size="sm" aria-hidden />
      <Text color="muted">Loading {what}…</Text>
    </div>
  );
}

export function EmptyState({
  children,
  testId,
}: {
  readonly children: ReactNode;
  readonly testId?: string;
}): ReactElement {
  return (
    <div className="state state-empty" data-testid={testId ?? 'empty'}>
      <Text color="muted">{children}</Text>
    </div>
  );
}

/** An API (or other) error in words, with the problem code and request id for escalation. */
export function ErrorMessage({
  error,
  currency,
  title,
  testId,
  onRetry,
}: {
  readonly error: unknown;
  readonly currency?: string;
  readonly title?: string;
  readonly testId?: string;
  readonly onRetry?: () => void;
}): ReactElement {
  const described = describeError(error, currency);
  return (
    <div
      className="state state-error"
      role="alert"
      data-testid={testId ?? 'error'}
      data-error-code={described.code ?? undefined}
    >
      <div className="state-error-body">
        {title ? <Text weight="semibold">{title}</Text> : null}
        <Text>{described.message}</Text>
        {described.details.length > 0 ? (
          <ul className="error-details">
            {described.details.map((detail) => (
              <li key={detail}>{detail}</li>
            ))}
          </ul>
        ) : null}
        {described.code || described.requestId ? (
          <Text size="xs" color="muted">
            {described.code ? (
              <>
                Code <code>{described.code}</code>
              </>
            ) : null}
            {described.code && described.requestId ? ' · ' : null}
            {described.requestId ? (
              <>
                Request <code>{described.requestId}</code>
              </>
            ) : null}
          </Text>
        ) : null}
      </div>
      {onRetry ? (
        <Button type="secondary" label="Retry" onClick={onRetry} data-testid={`${testId ?? 'error'}-retry`} />
      ) : null}
    </div>
  );
}
