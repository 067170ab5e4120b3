/**
 * Promo codes (admin): the list with status and redemptions, create, edit, deactivate (or
 * delete a code never used), and each code's audit trail — who changed what, before → after.
 */
import { Badge, Button, Table, Text, TextField, Title } from '@clickhouse/click-ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactElement } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import {
  PromoCode,
  PromoCodeCreate,
  PromoCodeDeleted,
  PromoCodePatch,
  type PromoCode as PromoCodeValue,
  type PromoCodeAuditEntry,
} from '../../../src/contracts/index.js';
import { apiRequest } from '../api/client';
import { serviceKeys, usePromoCode, usePromoCodes } from '../api/service-queries';
import { Pager, useCursorPages } from '../components/pager';
import { SelectField } from '../components/select-field';
import { EmptyState, ErrorMessage, Loading } from '../components/states';
import { formatDateTime, humanize } from '../lib/format';
import { formatMoney, parseAmount } from '../lib/money';
import { useDocumentTitle } from '../lib/use-document-title';
import { isNotFound, ResourceNotFound } from './not-found';

type CodeStatus = 'active' | 'inactive' | 'expired' | 'scheduled' | 'used_up';
const STATUS_STATE = {
  active: 'success',
  inactive: 'neutral',
  expired: 'neutral',
  scheduled: 'info',
  used_up: 'warning',
} as const satisfies Record<CodeStatus, string>;

export function statusOf(code: PromoCodeValue, now = Date.now()): CodeStatus {
  if (!code.active) return 'inactive';
  if (code.expiresAt && Date.parse(code.expiresAt) <= now) return 'expired';
  if (code.startsAt && Date.parse(code.startsAt) > now) return 'scheduled';
  if (code.maxRedemptions !== null && code.redemptions >= code.maxRedemptions) return 'used_up';
  return 'active';
}

function discountOf(code: PromoCodeValue): string {
  if (code.kind === 'percent') return `${code.percentOff ?? 0}% off`;
  return code.amountOff !== null && code.currency ? `${formatMoney(code.amountOff, code.currency)} off` : 'amount off';
}

function StatusBadge({ code }: { readonly code: PromoCodeValue }): ReactElement {
  const status = statusOf(code);
  return (
    <Badge
      text={humanize(status)}
      state={STATUS_STATE[status]}
      size="sm"
      data-testid="promo-status"
      data-status={status}
    />
  );
}

export function PromoCodesPage(): ReactElement {
  useDocumentTitle('Promo codes');
  const pages = useCursorPages();
  const codes = usePromoCodes(pages.cursor);
  const [creating, setCreating] = useState(false);
  const navigate = useNavigate();
  const rows = codes.data?.data ?? [];
  return (
    <section className="page" aria-labelledby="promo-title" data-testid="promo-codes-page">
      <Text size="sm">
        <Link to="/admin">← Administration</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="promo-title">
          Promo codes
        </Title>
        {!creating ? (
          <Button
            type="primary"
            iconLeft="plus"
            label="New promo code"
            onClick={() => setCreating(true)}
            data-testid="promo-new"
          />
        ) : null}
      </div>
      {creating ? (
        <PromoCodeForm
          existing={null}
          onClose={() => setCreating(false)}
          onSaved={(saved) => navigate(`/admin/promo-codes/${encodeURIComponent(saved.code)}`)}
        />
      ) : null}
      {codes.isPending ? <Loading what="promo codes" /> : null}
      {codes.isError ? (
        <ErrorMessage
          error={codes.error}
          title="Could not load promo codes"
          onRetry={() => void codes.refetch()}
          testId="promo-codes-error"
        />
      ) : null}
      {codes.data && rows.length === 0 ? <EmptyState testId="promo-codes-empty">No promo codes yet.</EmptyState> : null}
      {rows.length > 0 ? (
        <Table
          headers={[
            { label: 'Code', width: '170px' },
            { label: 'Discount', width: '120px' },
            { label: 'Status', width: '110px' },
            { label: 'Redemptions', width: '130px' },
            { label: 'Valid' },
            { label: 'Updated', width: '225px' },
          ]}
          rows={rows.map((code) => ({
            id: code.code,
            'data-testid': 'promo-row',
            'data-code': code.code,
            items: [
              {
                label: (
                  <Link
                    to={`/admin/promo-codes/${encodeURIComponent(code.code)}`}
                    data-testid={`promo-link-${code.code}`}
                  >
                    <code>{code.code}</code>
                  </Link>
                ),
              },
              { label: discountOf(code) },
              { label: <StatusBadge code={code} /> },
              {
                label: (
                  <span data-testid="promo-redemptions">
                    {code.redemptions}
                    {code.maxRedemptions !== null ? ` of ${code.maxRedemptions}` : ''}
                    {code.reserved > 0 ? ` (+${code.reserved} running)` : ''}
                  </span>
                ),
              },
              { label: windowOf(code), overflowMode: 'wrap' },
              { label: <time dateTime={code.updatedAt}>{formatDateTime(code.updatedAt)}</time> },
            ],
          }))}
          size="sm"
          className="data-table"
          aria-label="Promo codes"
          aria-busy={codes.isFetching}
          data-testid="promo-codes-table"
        />
      ) : null}
      <Pager
        pages={pages}
        nextCursor={codes.data?.nextCursor}
        busy={codes.isFetching}
        testId="promo-codes-pager"
        label="Promo codes"
      />
    </section>
  );
}

function windowOf(code: PromoCodeValue): string {
  if (!code.startsAt && !code.expiresAt) return 'Always';
  if (!code.startsAt) return `Until ${formatDateTime(code.expiresAt)}`;
  if (!code.expiresAt) return `From ${formatDateTime(code.startsAt)}`;
  return `${formatDateTime(code.startsAt)} – ${formatDateTime(code.expiresAt)}`;
}

export function PromoCodePage(): ReactElement {
  const { code = '' } = useParams();
  useDocumentTitle(`Promo code ${code}`);
  const promo = usePromoCode(code);
  const [editing, setEditing] = useState(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const invalidate = (): void => {
    void queryClient.invalidateQueries({ queryKey: serviceKeys.promoCodesAll() });
  };
  const setActive = useMutation({
    mutationFn: (active: boolean) =>
      apiRequest(PromoCode, `/v1/promo-codes/${encodeURIComponent(code)}`, { method: 'PATCH', body: { active } }),
    onSettled: invalidate,
  });
  const remove = useMutation({
    mutationFn: () => apiRequest(PromoCodeDeleted, `/v1/promo-codes/${encodeURIComponent(code)}`, { method: 'DELETE' }),
    onSuccess: (result) => {
      if (result.deleted) navigate('/admin/promo-codes');
    },
    onSettled: invalidate,
  });
  const [confirming, setConfirming] = useState<'deactivate' | 'delete' | null>(null);
  const data = promo.data;
  return (
    <section className="page" aria-labelledby="promo-code-title" data-testid="promo-code-page">
      <Text size="sm">
        <Link to="/admin/promo-codes">← Promo codes</Link>
      </Text>
      <div className="page-header">
        <Title type="h1" size="lg" id="promo-code-title">
          Promo code <code>{data?.code ?? code.toUpperCase()}</code>
        </Title>
        {data ? <StatusBadge code={data} /> : null}
      </div>
      {promo.isPending ? <Loading what="promo code" /> : null}
      {promo.isError && isNotFound(promo.error, 'promo_code_not_found') ? (
        <ResourceNotFound what="promo code" id={code}>
          Check the spelling, or go back to <Link to="/admin/promo-codes">all promo codes</Link>.
        </ResourceNotFound>
      ) : null}
      {promo.isError && !isNotFound(promo.error, 'promo_code_not_found') ? (
        <ErrorMessage
          error={promo.error}
          title="Could not load the promo code"
          onRetry={() => void promo.refetch()}
          testId="promo-code-error"
        />
      ) : null}
      {data ? (
        <>
          <dl className="facts" data-testid="promo-code-facts">
            <div>
              <dt>Discount</dt>
              <dd>{discountOf(data)}</dd>
            </div>
            <div>
              <dt>Redemptions</dt>
              <dd data-testid="promo-code-redemptions">
                {data.redemptions}
                {data.maxRedemptions !== null ? ` of ${data.maxRedemptions}` : ''} · {data.reserved} running
              </dd>
            </div>
            <div>
              <dt>Per customer</dt>
              <dd>{data.maxRedemptionsPerCustomer ?? 'No limit'}</dd>
            </div>
            <div>
              <dt>Minimum subtotal</dt>
              <dd>{data.minSubtotal !== null ? formatMoney(data.minSubtotal, data.currency ?? 'USD') : 'None'}</dd>
            </div>
            <div>
              <dt>Products</dt>
              <dd>{data.productIds?.join(', ') ?? 'Any'}</dd>
            </div>
            <div>
              <dt>Valid</dt>
              <dd>{windowOf(data)}</dd>
            </div>
          </dl>
          <div className="row">
            {!editing ? (
              <Button type="secondary" label="Edit" onClick={() => setEditing(true)} data-testid="promo-edit" />
            ) : null}
            {data.active ? (
              <Button
                type="danger"
                label="Deactivate…"
                onClick={() => setConfirming('deactivate')}
                disabled={confirming !== null}
                data-testid="promo-deactivate"
              />
            ) : (
              <Button
                type="secondary"
                label="Reactivate"
                onClick={() => setActive.mutate(true)}
                loading={setActive.isPending}
                data-testid="promo-reactivate"
              />
            )}
            {data.redemptions === 0 && data.reserved === 0 ? (
              <Button
                type="secondary"
                label="Delete…"
                onClick={() => setConfirming('delete')}
                disabled={confirming !== null}
                data-testid="promo-delete"
              />
            ) : null}
          </div>
          {confirming ? (
            <div
              className="panel form-panel"
              role="alertdialog"
              aria-labelledby="promo-confirm-text"
              data-testid="promo-confirm"
            >
              <Text id="promo-confirm-text">
                {confirming === 'deactivate' ? (
                  <>
                    Deactivate <code>{data.code}</code>? Purchases with it will be refused (
                    <code>promo_code_invalid</code>); its history stays. You can reactivate it.
                  </>
                ) : (
                  <>
                    Delete <code>{data.code}</code>? It was never used, so nothing refers to it; the audit trail keeps
                    the deletion.
                  </>
                )}
              </Text>
              <div className="form-actions">
                <Button
                  type="danger"
                  label={confirming === 'deactivate' ? 'Deactivate' : 'Delete'}
                  loading={setActive.isPending || remove.isPending}
                  onClick={() => {
                    if (confirming === 'deactivate') setActive.mutate(false, { onSuccess: () => setConfirming(null) });
                    else remove.mutate();
                  }}
                  data-testid="promo-confirm-yes"
                />
                <Button
                  type="secondary"
                  label="Keep it"
                  onClick={() => setConfirming(null)}
                  data-testid="promo-confirm-no"
                />
              </div>
            </div>
          ) : null}
          {setActive.error ? (
            <ErrorMessage error={setActive.error} title="The change was refused" testId="promo-active-error" />
          ) : null}
          {remove.error ? (
            <ErrorMessage error={remove.error} title="The deletion was refused" testId="promo-delete-error" />
          ) : null}
          {editing ? (
            <PromoCodeForm existing={data} onClose={() => setEditing(false)} onSaved={() => setEditing(false)} />
          ) : null}
          <AuditTrail entries={data.audit} />
        </>
      ) : null}
    </section>
  );
}

/** Fields an admin reads in the audit trail, in this order; bookkeeping fields (timestamps, counters) are left out. */
const AUDITED_FIELDS = [
  'active',
  'kind',
  'percentOff',
  'amountOff',
  'currency',
  'startsAt',
  'expiresAt',
  'maxRedemptions',
  'maxRedemptionsPerCustomer',
  'minSubtotal',
  'productIds',
] as const;

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.map((v) => show(v)).join(', ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function AuditTrail({ entries }: { readonly entries: readonly PromoCodeAuditEntry[] }): ReactElement {
  return (
    <section className="section" aria-labelledby="promo-audit-title" data-testid="promo-audit">
      <Title type="h2" size="md" id="promo-audit-title">
        Audit trail
      </Title>
      <Text size="sm" color="muted">
        Every change of this code: who, when, and each field before → after. Entries are never changed.
      </Text>
      {entries.length === 0 ? (
        <EmptyState>No changes recorded.</EmptyState>
      ) : (
        <Table
          headers={[
            { label: 'Time', width: '225px' },
            { label: 'Who', width: '110px' },
            { label: 'Action', width: '110px' },
            { label: 'Changes' },
          ]}
          rows={[...entries].reverse().map((entry) => {
            const changed = AUDITED_FIELDS.filter(
              (field) => JSON.stringify(entry.before?.[field] ?? null) !== JSON.stringify(entry.after?.[field] ?? null),
            );
            return {
              id: entry.id,
              'data-testid': 'promo-audit-row',
              'data-action': entry.action,
              items: [
                { label: <time dateTime={entry.createdAt}>{formatDateTime(entry.createdAt)}</time> },
                { label: <strong data-testid="promo-audit-actor">{entry.actor}</strong> },
                { label: humanize(entry.action) },
                {
                  label:
                    changed.length === 0 ? (
                      '—'
                    ) : (
                      <ul className="changes" data-testid="promo-audit-changes">
                        {changed.map((field) => (
                          <li key={field}>
                            <code>{field}</code>: {entry.before ? <>{show(entry.before[field])} → </> : null}
                            <strong>{show(entry.after?.[field])}</strong>
                          </li>
                        ))}
                      </ul>
                    ),
                  overflowMode: 'wrap',
                },
              ],
            };
          })}
          size="sm"
          className="data-table"
          aria-label="Audit trail"
          data-testid="promo-audit-table"
        />
      )}
    </section>
  );
}

interface Draft {
  code: string;
  kind: 'percent' | 'amount';
  percentOff: string;
  amountOff: string;
  currency: string;
  startsAt: string;
  expiresAt: string;
  maxRedemptions: string;
  maxRedemptionsPerCustomer: string;
  minSubtotal: string;
  productIds: string;
}

/** ISO → the value of a datetime-local input, in the browser's zone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function draftOf(existing: PromoCodeValue | null): Draft {
  const currency = existing?.currency ?? 'USD';
  const major = (minor: number | null): string =>
    minor === null ? '' : formatMoney(minor, currency).replace(/[^0-9.]/g, '');
  return {
    code: existing?.code ?? '',
    kind: existing?.kind ?? 'percent',
    percentOff: existing?.percentOff !== null && existing?.percentOff !== undefined ? String(existing.percentOff) : '',
    amountOff: major(existing?.amountOff ?? null),
    currency,
    startsAt: toLocalInput(existing?.startsAt ?? null),
    expiresAt: toLocalInput(existing?.expiresAt ?? null),
    maxRedemptions: existing?.maxRedemptions ? String(existing.maxRedemptions) : '',
    maxRedemptionsPerCustomer: existing?.maxRedemptionsPerCustomer ? String(existing.maxRedemptionsPerCustomer) : '',
    minSubtotal: major(existing?.minSubtotal ?? null),
    productIds: existing?.productIds?.join(', ') ?? '',
  };
}

type Parsed = { ok: true; body: Record<string, unknown> } | { ok: false; errors: Partial<Record<keyof Draft, string>> };

function parseDraft(draft: Draft): Parsed {
  const errors: Partial<Record<keyof Draft, string>> = {};
  const int = (field: keyof Draft): number | null => {
    const text = draft[field].trim();
    if (!text) return null;
    if (!/^\d+$/.test(text)) {
      errors[field] = 'A whole number.';
      return null;
    }
    return Number(text);
  };
  const money = (field: keyof Draft): number | null => {
    const text = draft[field].trim();
    if (!text) return null;
    const parsed = parseAmount(text, draft.currency || 'USD');
    if (!parsed.ok) {
      errors[field] = parsed.message;
      return null;
    }
    return parsed.minor;
  };
  const when = (field: keyof Draft): string | null => {
    const text = draft[field].trim();
    if (!text) return null;
    const date = new Date(text);
    if (Number.isNaN(date.getTime())) {
      errors[field] = 'A date and time.';
      return null;
    }
    return date.toISOString();
  };
  const amount = draft.kind === 'amount';
  const body: Record<string, unknown> = {
    kind: draft.kind,
    percentOff: amount ? null : int('percentOff'),
    amountOff: amount ? money('amountOff') : null,
    currency: amount || draft.minSubtotal.trim() ? draft.currency.trim().toUpperCase() || null : null,
    startsAt: when('startsAt'),
    expiresAt: when('expiresAt'),
    maxRedemptions: int('maxRedemptions'),
    maxRedemptionsPerCustomer: int('maxRedemptionsPerCustomer'),
    minSubtotal: money('minSubtotal'),
    productIds: draft.productIds.trim()
      ? draft.productIds
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)
      : null,
  };
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}

function PromoCodeForm({
  existing,
  onClose,
  onSaved,
}: {
  readonly existing: PromoCodeValue | null;
  readonly onClose: () => void;
  readonly onSaved: (saved: PromoCodeValue) => void;
}): ReactElement {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(existing));
  const [errors, setErrors] = useState<Partial<Record<keyof Draft, string>>>({});
  const set =
    (field: keyof Draft) =>
    (value: string): void =>
      setDraft((d) => ({ ...d, [field]: value }));
  const mutation = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      existing
        ? apiRequest(PromoCode, `/v1/promo-codes/${encodeURIComponent(existing.code)}`, { method: 'PATCH', body })
        : apiRequest(PromoCode, '/v1/promo-codes', { method: 'POST', body }),
    onSuccess: (saved) => onSaved(saved),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: serviceKeys.promoCodesAll() });
    },
  });
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const parsed = parseDraft(draft);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    const body = existing
      ? parsed.body
      : { code: draft.code.trim(), ...Object.fromEntries(Object.entries(parsed.body).filter(([, v]) => v !== null)) };
    const checked = existing ? PromoCodePatch.safeParse(body) : PromoCodeCreate.safeParse(body);
    if (!checked.success) {
      const next: Partial<Record<keyof Draft, string>> = {};
      for (const issue of checked.error.issues) {
        const field = String(issue.path[0] ?? 'code');
        next[(field in draft ? field : 'code') as keyof Draft] = issue.message;
      }
      setErrors(next);
      return;
    }
    setErrors({});
    mutation.mutate(body);
  };
  return (
    <section className="panel form-panel" aria-labelledby="promo-form-title" data-testid="promo-form">
      <Title type="h3" size="md" id="promo-form-title">
        {existing ? (
          <>
            Edit <code>{existing.code}</code>
          </>
        ) : (
          'New promo code'
        )}
      </Title>
      <form onSubmit={submit} noValidate className="form-grid">
        {!existing ? (
          <TextField
            id="promo-code"
            label="Code (3–32 letters, digits, _ or -; stored upper-case)"
            value={draft.code}
            onChange={set('code')}
            error={errors.code}
            data-testid="promo-form-code"
          />
        ) : null}
        <SelectField
          id="promo-kind"
          label="Kind"
          value={draft.kind}
          onChange={(v) => set('kind')(v === 'amount' ? 'amount' : 'percent')}
          options={[
            { value: 'percent', label: 'Percent off' },
            { value: 'amount', label: 'Amount off' },
          ]}
          testId="promo-form-kind"
        />
        {draft.kind === 'percent' ? (
          <TextField
            id="promo-percent"
            label="Percent off (1–100)"
            value={draft.percentOff}
            onChange={set('percentOff')}
            error={errors.percentOff}
            inputMode="numeric"
            data-testid="promo-form-percent"
          />
        ) : (
          <div className="row">
            <TextField
              id="promo-amount"
              label="Amount off"
              value={draft.amountOff}
              onChange={set('amountOff')}
              error={errors.amountOff}
              inputMode="decimal"
              placeholder="5.00"
              data-testid="promo-form-amount"
            />
            <TextField
              id="promo-currency"
              label="Currency"
              value={draft.currency}
              onChange={set('currency')}
              error={errors.currency}
              data-testid="promo-form-currency"
            />
          </div>
        )}
        <div className="row">
          <TextField
            id="promo-max"
            label="Most uses in total (empty: no limit)"
            value={draft.maxRedemptions}
            onChange={set('maxRedemptions')}
            error={errors.maxRedemptions}
            inputMode="numeric"
            data-testid="promo-form-max"
          />
          <TextField
            id="promo-max-customer"
            label="Most uses per customer"
            value={draft.maxRedemptionsPerCustomer}
            onChange={set('maxRedemptionsPerCustomer')}
            error={errors.maxRedemptionsPerCustomer}
            inputMode="numeric"
            data-testid="promo-form-max-customer"
          />
        </div>
        <div className="row">
          <label className="native-field" htmlFor="promo-starts">
            Starts (your time zone)
            <input
              id="promo-starts"
              className="native-input bordered"
              type="datetime-local"
              value={draft.startsAt}
              onChange={(e) => set('startsAt')(e.target.value)}
              data-testid="promo-form-starts"
            />
            {errors.startsAt ? <span className="field-error">{errors.startsAt}</span> : null}
          </label>
          <label className="native-field" htmlFor="promo-expires">
            Expires (exclusive)
            <input
              id="promo-expires"
              className="native-input bordered"
              type="datetime-local"
              value={draft.expiresAt}
              onChange={(e) => set('expiresAt')(e.target.value)}
              data-testid="promo-form-expires"
            />
            {errors.expiresAt ? <span className="field-error">{errors.expiresAt}</span> : null}
          </label>
        </div>
        <TextField
          id="promo-min"
          label={`Minimum subtotal (${draft.currency || 'USD'}; empty: none)`}
          value={draft.minSubtotal}
          onChange={set('minSubtotal')}
          error={errors.minSubtotal}
          inputMode="decimal"
          data-testid="promo-form-min"
        />
        <TextField
          id="promo-products"
          label="Only these product ids, comma-separated (empty: any product)"
          value={draft.productIds}
          onChange={set('productIds')}
          error={errors.productIds}
          data-testid="promo-form-products"
        />
        {mutation.error ? (
          <ErrorMessage
            error={mutation.error}
            title={existing ? 'The change was refused' : 'The code was not created'}
            testId="promo-form-error"
          />
        ) : null}
        <div className="form-actions">
          <Button
            htmlType="submit"
            type="primary"
            label={existing ? 'Save changes' : 'Create code'}
            loading={mutation.isPending}
            disabled={mutation.isPending}
            data-testid="promo-form-save"
          />
          <Button
            type="secondary"
            label="Cancel"
            onClick={onClose}
            disabled={mutation.isPending}
            data-testid="promo-form-cancel"
          />
        </div>
      </form>
    </section>
  );
}
