/**
 * Grant or deduct credit: edit → review (balance before and after) → done. One
 * Idempotency-Key per form: made when the form opens or is reset, reused for every retry of
 * the same submission (a double click or a retry after a lost answer can never move money
 * twice), replaced only after the API refused the request outright.
 */
import { Button, Text, TextAreaField, TextField, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type ReactElement } from 'react';
import {
  CreditMovementOutcome,
  CreditMovementRequest,
  CreditReason,
  type CreditBalance,
  type CreditMovementRequest as CreditMovementBody,
} from '../../../src/contracts/index.js';
import { approvalKeys } from '../api/approvals';
import { ApprovalSent } from './approval-sent';
import { ApiError, apiRequest } from '../api/client';
import { queryKeys } from '../api/queries';
import { Money } from '../components/money';
import { SelectField } from '../components/select-field';
import { ErrorMessage } from '../components/states';
import { humanize } from '../lib/format';
import { newIdempotencyKey } from '../lib/idempotency';
import { formatMoney, parseAmount } from '../lib/money';
import { useSession } from '../session';

export type CreditMovementKind = 'grant' | 'deduction';

/** Posted at once (201), or — a large change by support — sent for an admin's approval (202). */
type CreditMovementResult = CreditMovementOutcome;

const NOTE_REQUIRED: readonly CreditReason[] = ['other', 'correction'];

interface Review {
  readonly body: CreditMovementBody;
  readonly before: CreditBalance;
}

interface FieldErrors {
  amount?: string;
  reason?: string;
  note?: string;
}

const COPY = {
  grant: { title: 'Grant credit', verb: 'Grant', done: 'Granted', path: 'grants', sign: 1 },
  deduction: { title: 'Deduct credit', verb: 'Deduct', done: 'Deducted', path: 'deductions', sign: -1 },
} as const;

export function CreditMovementForm({
  customerId,
  customerName,
  credit,
  kind,
  onClose,
}: {
  readonly customerId: string;
  readonly customerName: string;
  readonly credit: CreditBalance;
  readonly kind: CreditMovementKind;
  readonly onClose: () => void;
}): ReactElement {
  const copy = COPY[kind];
  // The role's limit per grant (support's MAX_GRANT_AMOUNT), said before the rep reviews, not after Confirm.
  const { me } = useSession();
  const grantLimit = kind === 'grant' ? (me?.grantLimit ?? null) : null;
  const queryClient = useQueryClient();
  const [idempotencyKey, setIdempotencyKey] = useState(() => newIdempotencyKey(kind));
  const [amountText, setAmountText] = useState('');
  const [reason, setReason] = useState<CreditReason | ''>('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [review, setReview] = useState<Review | null>(null);
  const [result, setResult] = useState<CreditMovementResult | null>(null);
  const inFlight = useRef(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const step = result ? 'done' : review ? 'review' : 'edit';
  useEffect(() => {
    if (step !== 'edit') headingRef.current?.focus();
  }, [step]);

  const mutation = useMutation<CreditMovementResult, unknown, { body: CreditMovementBody; key: string }>({
    mutationFn: ({ body, key }) =>
      apiRequest(CreditMovementOutcome, `/v1/customers/${encodeURIComponent(customerId)}/credit/${copy.path}`, {
        method: 'POST',
        body,
        idempotencyKey: key,
      }),
    onSuccess: (response) => {
      setResult(response);
      if ('credit' in response) queryClient.setQueryData(queryKeys.credit(customerId), response.credit);
      else void queryClient.invalidateQueries({ queryKey: approvalKeys.all() });
    },
    onError: (error) => {
      // Refused outright: nothing was written, and the key now remembers that refusal.
      if (error instanceof ApiError && error.isDefinitiveRefusal) setIdempotencyKey(newIdempotencyKey(kind));
    },
    onSettled: () => {
      inFlight.current = false;
      void queryClient.invalidateQueries({ queryKey: queryKeys.credit(customerId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.ledgerOf(customerId) });
    },
  });

  const toReview = (event: FormEvent): void => {
    event.preventDefault();
    const next: FieldErrors = {};
    const amount = parseAmount(amountText, credit.currency);
    if (!amount.ok) next.amount = amount.message;
    if (!reason) next.reason = 'Choose a reason.';
    const trimmedNote = note.trim();
    if (reason && NOTE_REQUIRED.includes(reason) && !trimmedNote)
      next.note = `A note is required when the reason is “${humanize(reason)}”.`;
    if (amount.ok && grantLimit !== null && amount.minor > grantLimit) {
      next.amount = `Your limit is ${formatMoney(grantLimit, credit.currency)} per grant; a larger grant needs an admin.`;
    }
    if (amount.ok && kind === 'deduction' && amount.minor > credit.available) {
      next.amount = `Only ${formatMoney(credit.available, credit.currency)} is available to deduct.`;
    }
    if (amount.ok && reason && Object.keys(next).length === 0) {
      const parsed = CreditMovementRequest.safeParse({
        amount: amount.minor,
        currency: credit.currency,
        reason,
        ...(trimmedNote ? { note: trimmedNote } : {}),
      });
      if (parsed.success) {
        setErrors({});
        mutation.reset();
        setReview({ body: parsed.data, before: credit });
        return;
      }
      for (const issue of parsed.error.issues) {
        const field = issue.path[0];
        if (field === 'amount' || field === 'note' || field === 'reason') next[field] = issue.message;
        else next.amount = issue.message;
      }
    }
    setErrors(next);
  };

  const confirm = (): void => {
    if (!review || inFlight.current) return;
    inFlight.current = true;
    mutation.mutate({ body: review.body, key: idempotencyKey });
  };

  const startOver = (): void => {
    setIdempotencyKey(newIdempotencyKey(kind));
    setAmountText('');
    setReason('');
    setNote('');
    setErrors({});
    setReview(null);
    setResult(null);
    mutation.reset();
  };

  const lastError = mutation.error;
  const ambiguous = lastError !== null && !(lastError instanceof ApiError && lastError.isDefinitiveRefusal);

  return (
    <section
      className="panel form-panel"
      aria-labelledby="credit-form-title"
      data-testid="credit-form"
      data-kind={kind}
      data-step={step}
      data-idempotency-key={idempotencyKey}
    >
      <Title type="h3" size="md" id="credit-form-title" ref={headingRef} tabIndex={-1}>
        {copy.title} · {customerName}
      </Title>

      {step === 'edit' ? (
        <form onSubmit={toReview} noValidate className="form-grid">
          <TextField
            id="credit-amount"
            label={`Amount (${credit.currency})`}
            value={amountText}
            onChange={setAmountText}
            inputMode="decimal"
            placeholder="25.00"
            error={errors.amount}
            autoFocus
            data-testid="credit-amount"
          />
          <SelectField
            id="credit-reason"
            label="Reason"
            value={reason}
            onChange={(value) => setReason(CreditReason.safeParse(value).data ?? '')}
            options={[
              { value: '', label: 'Choose a reason…' },
              ...CreditReason.options.map((r) => ({ value: r, label: humanize(r) })),
            ]}
            error={errors.reason}
            testId="credit-reason"
            required
          />
          <TextAreaField
            id="credit-note"
            label={reason && NOTE_REQUIRED.includes(reason) ? 'Note (required)' : 'Note (optional)'}
            value={note}
            onChange={setNote}
            rows={3}
            maxLength={1000}
            error={errors.note}
            data-testid="credit-note"
          />
          <Text size="sm" color="muted">
            Available now: <Money amount={credit.available} currency={credit.currency} /> · posted balance{' '}
            <Money amount={credit.balance} currency={credit.currency} />
          </Text>
          {grantLimit !== null ? (
            <Text size="sm" color="muted" data-testid="credit-grant-limit">
              Your limit: <Money amount={grantLimit} currency={credit.currency} /> per grant. Larger grants need an
              admin.
            </Text>
          ) : null}
          <div className="form-actions">
            <Button htmlType="submit" type="primary" label="Review" data-testid="credit-review" />
            <Button type="secondary" label="Cancel" onClick={onClose} data-testid="credit-cancel" />
          </div>
        </form>
      ) : null}

      {step === 'review' && review ? (
        <div className="review" data-testid="credit-confirmation">
          <Text>
            {copy.verb}{' '}
            <strong>
              <Money amount={review.body.amount} currency={review.body.currency} testId="credit-confirm-amount" />
            </strong>{' '}
            {kind === 'grant' ? 'to' : 'from'} <strong>{customerName}</strong> for{' '}
            <strong>{humanize(review.body.reason)}</strong>
            {review.body.note ? <> — “{review.body.note}”</> : null}.
          </Text>
          <BeforeAfter
            label="Posted balance"
            currency={review.before.currency}
            before={review.before.balance}
            after={review.before.balance + copy.sign * review.body.amount}
            testId="credit-balance-change"
          />
          <BeforeAfter
            label="Available"
            currency={review.before.currency}
            before={review.before.available}
            after={review.before.available + copy.sign * review.body.amount}
            testId="credit-available-change"
          />
          {lastError ? (
            <ErrorMessage
              error={lastError}
              currency={review.body.currency}
              title={ambiguous ? 'The outcome is not known' : `The ${kind} was refused`}
              testId="credit-error"
            />
          ) : null}
          {ambiguous ? (
            <Text size="sm" color="muted">
              Retrying is safe: it repeats the same request with the same idempotency key, so the money moves at most
              once.
            </Text>
          ) : null}
          <div className="form-actions">
            <Button
              type={kind === 'deduction' ? 'danger' : 'primary'}
              label={
                mutation.isPending
                  ? 'Submitting…'
                  : `${ambiguous ? 'Retry' : 'Confirm'} ${kind === 'grant' ? 'grant' : 'deduction'}`
              }
              onClick={confirm}
              disabled={mutation.isPending || (lastError !== null && !ambiguous)}
              loading={mutation.isPending}
              data-testid="credit-confirm"
            />
            <Button
              type="secondary"
              label="Back"
              onClick={() => {
                setReview(null);
                mutation.reset();
              }}
              disabled={mutation.isPending}
              data-testid="credit-back"
            />
          </div>
        </div>
      ) : null}

      {step === 'done' && result && 'approvalId' in result ? (
        <ApprovalSent requested={result} customerId={customerId} onAgain={startOver} onClose={onClose} />
      ) : null}

      {step === 'done' && result && 'entry' in result ? (
        <div className="review" role="status" data-testid="credit-success">
          <Text>
            {copy.done} <Money amount={Math.abs(result.entry.amount)} currency={result.entry.currency} />. New posted
            balance{' '}
            <strong>
              <Money amount={result.credit.balance} currency={result.credit.currency} testId="credit-success-balance" />
            </strong>
            , available <Money amount={result.credit.available} currency={result.credit.currency} />.
          </Text>
          <Text size="xs" color="muted">
            Ledger entry <code>{result.entry.id}</code>
          </Text>
          <div className="form-actions">
            <Button type="secondary" label={`${copy.verb} again`} onClick={startOver} data-testid="credit-again" />
            <Button type="primary" label="Close" onClick={onClose} data-testid="credit-close" />
          </div>
        </div>
      ) : null}
    </section>
  );
}

function BeforeAfter({
  label,
  currency,
  before,
  after,
  testId,
}: {
  readonly label: string;
  readonly currency: string;
  readonly before: number;
  readonly after: number;
  readonly testId: string;
}): ReactElement {
  return (
    <dl className="before-after" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <Money amount={before} currency={currency} testId={`${testId}-before`} />
        <span aria-hidden> → </span>
        <span className="visually-hidden"> becomes </span>
        <strong>
          <Money amount={after} currency={currency} testId={`${testId}-after`} />
        </strong>
      </dd>
    </dl>
  );
}
