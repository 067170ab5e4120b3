/**
 * "Download statement": a CSV of the customer's credit for a period of whole days (UTC), with
 * the opening balance, one row per entry and the closing balance — what finance or the
 * customer asks for. The period (from, to] is the API's: from the start of the first day to
 * the end of the last (or now, for today).
 */
import { Button, InputWrapper, Text } from '@clickhouse/click-ui';
import { useState, type FormEvent, type ReactElement } from 'react';
import { ApiError, apiDownload } from '../api/client';
import { ErrorMessage } from '../components/states';

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function firstOfMonth(): string {
  return `${today().slice(0, 8)}01`;
}

/** The API's instants for a range of whole UTC days; the end never in the future. */
export function statementPeriod(
  fromDay: string,
  toDay: string,
  now: number = Date.now(),
): { from: string; to: string } {
  const from = `${fromDay}T00:00:00.000Z`;
  const end = Date.parse(`${toDay}T00:00:00.000Z`) + 24 * 3600_000;
  return { from, to: new Date(Math.min(end, now)).toISOString() };
}

export function StatementDownload({ customerId }: { readonly customerId: string }): ReactElement {
  const [fromDay, setFromDay] = useState(firstOfMonth);
  const [toDay, setToDay] = useState(today);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const rangeError = fromDay && toDay && fromDay > toDay ? 'The last day must not be before the first.' : null;

  const download = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    if (rangeError || !fromDay || !toDay || busy) return;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const { blob, fileName } = await apiDownload(
        `/v1/customers/${encodeURIComponent(customerId)}/credit/statement`,
        statementPeriod(fromDay, toDay),
        'text/csv',
      );
      const href = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = href;
      link.download = fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
      setDone(fileName);
    } catch (caught) {
      setError(
        caught instanceof ApiError ? caught : new ApiError('network', 0, 'The statement could not be downloaded.'),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="statement" data-testid="statement">
      <form
        className="filters"
        onSubmit={(e) => void download(e)}
        aria-label="Download a statement"
        data-testid="statement-form"
      >
        <InputWrapper id="statement-from" label="Statement from (day, UTC)">
          <input
            id="statement-from"
            className="native-input"
            type="date"
            value={fromDay}
            max={today()}
            onChange={(e) => setFromDay(e.target.value)}
            data-testid="statement-from"
          />
        </InputWrapper>
        <InputWrapper id="statement-to" label="To (day, inclusive)" error={rangeError ?? undefined}>
          <input
            id="statement-to"
            className="native-input"
            type="date"
            value={toDay}
            max={today()}
            onChange={(e) => setToDay(e.target.value)}
            data-testid="statement-to"
          />
        </InputWrapper>
        <div className="filters-actions">
          <Button
            htmlType="submit"
            type="secondary"
            iconLeft="download"
            label={busy ? 'Preparing…' : 'Download statement (CSV)'}
            disabled={busy || rangeError !== null}
            data-testid="statement-download"
          />
        </div>
      </form>
      {done ? (
        <Text size="sm" color="muted" data-testid="statement-done">
          Downloaded {done}: opening balance, every entry, closing balance.
        </Text>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not download the statement" testId="statement-error" /> : null}
    </div>
  );
}
