/**
 * Keyset pagination (`cursor` / `nextCursor`, newest first): the API only knows "next", so
 * the pager keeps the stack of cursors it came through to offer "previous".
 */
import { Button, Text } from '@clickhouse/click-ui';
import { useCallback, useState, type ReactElement } from 'react';

export interface CursorPages {
  readonly cursor: string | null;
  readonly page: number;
  readonly next: (nextCursor: string) => void;
  readonly previous: () => void;
  readonly reset: () => void;
}

export function useCursorPages(): CursorPages {
  const [stack, setStack] = useState<readonly (string | null)[]>([null]);
  const next = useCallback((nextCursor: string) => setStack((s) => [...s, nextCursor]), []);
  const previous = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const reset = useCallback(() => setStack([null]), []);
  return { cursor: stack[stack.length - 1] ?? null, page: stack.length, next, previous, reset };
}

export function Pager({
  pages,
  nextCursor,
  busy,
  testId,
  label,
}: {
  readonly pages: CursorPages;
  readonly nextCursor: string | null | undefined;
  readonly busy?: boolean;
  readonly testId: string;
  readonly label: string;
}): ReactElement | null {
  if (pages.page === 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={`${label} pages`} data-testid={testId}>
      <Button
        type="secondary"
        label="Newer"
        iconLeft="chevron-left"
        disabled={pages.page === 1 || busy}
        onClick={pages.previous}
        data-testid={`${testId}-prev`}
      />
      <Text size="sm" color="muted" aria-live="polite">
        Page {pages.page}
      </Text>
      <Button
        type="secondary"
        label="Older"
        iconRight="chevron-right"
        disabled={!nextCursor || busy}
        onClick={() => {
          if (nextCursor) pages.next(nextCursor);
        }}
        data-testid={`${testId}-next`}
      />
    </nav>
  );
}
