/**
 * Refund a purchase, fully or in part, to the customer's credit: edit → review → done.
 * The amount is always sent explicitly, so what the rep confirmed is exactly what is
 * refunded (if another refund landed meanwhile, the API refuses instead of refunding less).
 * Idempotency-Key handling as in the credit form.
 */
import { Button, RadioGroup, Text, TextAreaField, TextField, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type ReactElement } from 'react';
import {
  Refund,
  RefundReason,
  RefundRequest,
  type PurchaseWithRefunds,
  type Refund as RefundResult,
  type RefundRequest as RefundBody,
} from '../../../src/contracts/index.js';
import { ApiError, apiRequest } from '../api/client';
import { queryKeys } from '../api/queries';
import { PurchaseStatusBadge } from '../components/badges';
import { Money } from '../components/money';
import { SelectField } from '../components/select-field';
import { ErrorMessage } from '../components/states';
import { humanize } from '../lib/format';
import { newIdempotencyKey } from '../lib/idempotency';
import { formatMoney, parseAmount, toInputAmount } from '../lib/money';

interface Review {
  readonly body: RefundBody & { readonly amount: number };
  readonly refundableBefore: number;
}

interface FieldErrors {
  amount?: string;
  reason?: string;
  note?: string;
}

export function refundableOf(purchase: PurchaseWithRefunds): number {
  return Math.max(0, purchase.total - purchase.refundedAmount);
}

export function RefundForm({
  purchase,
  onClose,
}: {
  readonly purchase: PurchaseWithRefunds;
  readonly onClose: () => void;
}): ReactElement {
  const queryClient = useQueryClient();
  const refundable = refundableOf(purchase);
  const [idempotencyKey, setIdempotencyKey] = useState(() => newIdempotencyKey('refund'));
  const [mode, setMode] = useState<'full' | 'partial'>('full');
  const [amountText, setAmountText] = useState('');
  const [reason, setReason] = useState<RefundReason | ''>('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [review, setReview] = useState<Review | null>(null);
  const [result, setResult] = useState<RefundResult | null>(null);
  const inFlight = useRef(false);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const step = result ? 'done' : review ? 'review' : 'edit';
  useEffect(() => {
    if (step !== 'edit') headingRef.current?.focus();
  }, [step]);

  const mutation = useMutation<RefundResult, unknown, { body: RefundBody; key: string }>({
    mutationFn: ({ body, key }) =>
      apiRequest(Refund, `/v1/purchases/${encodeURIComponent(purchase.id)}/refunds`, {
        method: 'POST',
        body,
        idempotencyKey: key,
      }),
    onSuccess: (refund) => setResult(refund),
    onError: (error) => {
      if (error instanceof ApiError && error.isDefinitiveRefusal) setIdempotencyKey(newIdempotencyKey('refund'));
    },
    onSettled: () => {
      inFlight.current = false;
      void queryClient.invalidateQueries({ queryKey: queryKeys.purchase(purchase.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.purchasesAll() });
      void queryClient.invalidateQueries({ queryKey: queryKeys.credit(purchase.customerId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.ledgerOf(purchase.customerId) });
    },
  });

  const toReview = (event: FormEvent): void => {
    event.preventDefault();
    const next: FieldErrors = {};
    let amount = refundable;
    if (mode === 'partial') {
      const parsed = parseAmount(amountText, purchase.currency);
      if (!parsed.ok) next.amount = parsed.message;
      else if (parsed.minor > refundable)
        next.amount = `At most ${formatMoney(refundable, purchase.currency)} can still be refunded.`;
      else amount = parsed.minor;
    }
    if (!reason) next.reason = 'Choose a reason.';
    const trimmedNote = note.trim();
    if (reason === 'other' && !trimmedNote) next.note = 'A note is required when the reason is “Other”.';
    if (reason && Object.keys(next).length === 0) {
      const parsed = RefundRequest.safeParse({ amount, reason, ...(trimmedNote ? { note: trimmedNote } : {}) });
      if (parsed.success) {
        setErrors({});
        mutation.reset();
        setReview({ body: { ...parsed.data, amount }, refundableBefore: refundable });
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

  const lastError = mutation.error;
  const ambiguous = lastError !== null && !(lastError instanceof ApiError && lastError.isDefinitiveRefusal);
  const after = review ? review.refundableBefore - review.body.amount : 0;

  return (
    <section
      className="panel form-panel"
      aria-labelledby="refund-form-title"
      data-testid="refund-form"
      data-step={step}
      data-idempotency-key={idempotencyKey}
    >
      <Title type="h3" size="md" id="refund-form-title" ref={headingRef} tabIndex={-1}>
        Refund to the customer’s credit
      </Title>

      {step === 'edit' ? (
        <form onSubmit={toReview} noValidate className="form-grid">
          <Text>
            Refundable now:{' '}
            <strong>
              <Money amount={refundable} currency={purchase.currency} testId="refund-refundable" />
            </strong>{' '}
            of <Money amount={purchase.total} currency={purchase.currency} />
          </Text>
          <RadioGroup
            label="How much"
            value={mode}
            onValueChange={(value) => setMode(value === 'partial' ? 'partial' : 'full')}
            data-testid="refund-mode"
          >
            <RadioGroup.Item
              value="full"
              label={`Everything still refundable (${formatMoney(refundable, purchase.currency)})`}
              data-testid="refund-mode-full"
            />
            <RadioGroup.Item value="partial" label="A part of it" data-testid="refund-mode-partial" />
          </RadioGroup>
          {mode === 'partial' ? (
            <TextField
              id="refund-amount"
              label={`Amount (${purchase.currency})`}
              value={amountText}
              onChange={setAmountText}
              inputMode="decimal"
              placeholder={toInputAmount(refundable, purchase.currency)}
              error={errors.amount}
              data-testid="refund-amount"
            />
          ) : null}
          <SelectField
            id="refund-reason"
            label="Reason"
            value={reason}
            onChange={(value) => setReason(RefundReason.safeParse(value).data ?? '')}
            options={[
              { value: '', label: 'Choose a reason…' },
              ...RefundReason.options.map((r) => ({ value: r, label: humanize(r) })),
            ]}
            error={errors.reason}
            testId="refund-reason"
            required
          />
          <TextAreaField
            id="refund-note"
            label={reason === 'other' ? 'Note (required)' : 'Note (optional)'}
            value={note}
            onChange={setNote}
            rows={3}
            maxLength={1000}
            error={errors.note}
            data-testid="refund-note"
          />
          <div className="form-actions">
            <Button htmlType="submit" type="primary" label="Review refund" data-testid="refund-review" />
            <Button type="secondary" label="Cancel" onClick={onClose} data-testid="refund-cancel" />
          </div>
        </form>
      ) : null}

      {step === 'review' && review ? (
        <div className="review" data-testid="refund-confirmation">
          <Text>
            Refund{' '}
            <strong>
              <Money amount={review.body.amount} currency={purchase.currency} testId="refund-confirm-amount" />
            </strong>{' '}
            of purchase <code>{purchase.id}</code> to the customer’s credit, for{' '}
            <strong>{humanize(review.body.reason)}</strong>
            {review.body.note ? <> — “{review.body.note}”</> : null}.
          </Text>
          <dl className="before-after" data-testid="refund-refundable-change">
            <dt>Refundable</dt>
            <dd>
              <Money amount={review.refundableBefore} currency={purchase.currency} /> <span aria-hidden>→</span>
              <span className="visually-hidden"> becomes </span>{' '}
              <strong>
                <Money amount={after} currency={purchase.currency} testId="refund-refundable-after" />
              </strong>
            </dd>
            <dt>Status</dt>
            <dd>
              <PurchaseStatusBadge status={purchase.status} /> <span aria-hidden>→</span>
              <span className="visually-hidden"> becomes </span>{' '}
              <PurchaseStatusBadge
                status={after === 0 ? 'refunded' : 'partially_refunded'}
                testId="refund-status-after"
              />
            </dd>
          </dl>
          {lastError ? (
            <ErrorMessage
              error={lastError}
              currency={purchase.currency}
              title={ambiguous ? 'The outcome is not known' : 'The refund was refused'}
              testId="refund-error"
            />
          ) : null}
          {ambiguous ? (
            <Text size="sm" color="muted">
              Retrying is safe: it repeats the same request with the same idempotency key, so the refund happens at most
              once.
            </Text>
          ) : null}
          <div className="form-actions">
            <Button
              type="danger"
              label={mutation.isPending ? 'Refunding…' : ambiguous ? 'Retry refund' : 'Confirm refund'}
              onClick={confirm}
              disabled={mutation.isPending || (lastError !== null && !ambiguous)}
              loading={mutation.isPending}
              data-testid="refund-confirm"
            />
            <Button
              type="secondary"
              label="Back"
              onClick={() => {
                setReview(null);
                mutation.reset();
              }}
              disabled={mutation.isPending}
              data-testid="refund-back"
            />
          </div>
        </div>
      ) : null}

      {step === 'done' && result ? (
        <div className="review" role="status" data-testid="refund-success">
          <Text>
            Refunded{' '}
            <strong>
              <Money amount={result.amount} currency={result.currency} />
            </strong>{' '}
            to the customer’s credit.
          </Text>
          <Text size="xs" color="muted">
            Refund <code>{result.id}</code>
          </Text>
          <div className="form-actions">
            <Button type="primary" label="Close" onClick={onClose} data-testid="refund-close" />
          </div>
        </div>
      ) : null}
    </section>
  );
}
