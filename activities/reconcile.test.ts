/** The pure decisions behind cancelling shipments of failed purchase attempts. */
import { describe, expect, it } from 'vitest';
import { orphanCancelBlocker, type AttemptBooks } from '../src/domain/reconciliation.js';
import { cancelledDuringBatch } from './reconcile.js';

const books = (patch: Partial<AttemptBooks> = {}): AttemptBooks => ({
  attemptStatus: 'failed',
  hasPurchase: false,
  ledgerEntries: 0,
  holdStatus: 'released',
  ...patch,
});

describe('orphanCancelBlocker', () => {
  it('lets through only a failed attempt that nothing paid for', () => {
    expect(orphanCancelBlocker(books())).toBeNull();
    expect(orphanCancelBlocker(books({ holdStatus: null }))).toBeNull();
  });

  it('blocks whenever the books say the purchase went through, or the attempt is not failed', () => {
    expect(orphanCancelBlocker(books({ hasPurchase: true }))).toBe('a purchase with this id is committed');
    expect(orphanCancelBlocker(books({ ledgerEntries: 1 }))).toBe('1 ledger entries belong to this purchase id');
    expect(orphanCancelBlocker(books({ holdStatus: 'captured' }))).toBe('its credit hold is captured');
    expect(orphanCancelBlocker(books({ holdStatus: 'pending' }))).toBe('its credit hold is pending');
    expect(orphanCancelBlocker(books({ attemptStatus: 'completed' }))).toBe('the attempt is completed, not failed');
    expect(orphanCancelBlocker(books({ attemptStatus: null }))).toBe('the attempt is missing, not failed');
    // A committed purchase blocks even with the attempt row saying failed.
    expect(
      orphanCancelBlocker(
        books({ attemptStatus: 'failed', hasPurchase: true, holdStatus: 'captured', ledgerEntries: 1 }),
      ),
    ).toBe('a purchase with this id is committed');
  });
});

describe('cancelledDuringBatch', () => {
  const scheduled = Date.parse('2026-03-01T10:00:00.000Z');

  it("is this batch's doing when cancelled at or after the batch was first scheduled (a retried batch)", () => {
    expect(cancelledDuringBatch({ status: 'cancelled', cancelledAt: '2026-03-01T10:00:00.000Z' }, scheduled)).toBe(
      true,
    );
    expect(cancelledDuringBatch({ status: 'cancelled', cancelledAt: '2026-03-01T10:00:05.123Z' }, scheduled)).toBe(
      true,
    );
  });

  it('is old news when cancelled before, when not cancelled, or when the platform does not say when', () => {
    expect(cancelledDuringBatch({ status: 'cancelled', cancelledAt: '2026-03-01T09:59:59.999Z' }, scheduled)).toBe(
      false,
    );
    expect(cancelledDuringBatch({ status: 'created', cancelledAt: undefined }, scheduled)).toBe(false);
    expect(cancelledDuringBatch({ status: 'cancelled', cancelledAt: null }, scheduled)).toBe(false);
    expect(cancelledDuringBatch({ status: 'cancelled', cancelledAt: 'yesterday-ish' }, scheduled)).toBe(false);
  });
});
