/** The pure half of reconciliation: a batch snapshot in, findings out. */
import { describe, expect, it } from 'vitest';
import { ledgerFindings, type AccountCheckRow, type BatchSnapshot, type PurchaseCheckRow } from './reconciliation.js';

const account = (patch: Partial<AccountCheckRow> = {}): AccountCheckRow => ({
  customerId: 'cus_a',
  balance: 1000,
  held: 200,
  version: 2,
  entriesTotal: 1000,
  entryCount: 2,
  maxVersion: 2,
  holdsTotal: 200,
  holdCount: 1,
  ...patch,
});
const purchase = (patch: Partial<PurchaseCheckRow> = {}): PurchaseCheckRow => ({
  id: 'pur_1',
  customerId: 'cus_a',
  total: 500,
  refundedAmount: 100,
  shipmentId: 'shp_1',
  refundsTotal: 100,
  refundCount: 1,
  purchaseEntriesTotal: -500,
  purchaseEntryCount: 1,
  refundEntriesTotal: 100,
  createdAt: new Date(0),
  ...patch,
});
const snapshot = (patch: Partial<BatchSnapshot> = {}): BatchSnapshot => ({
  accounts: [account()],
  chainBreaks: [],
  purchases: [purchase()],
  staleHolds: [],
  ...patch,
});

describe('ledgerFindings', () => {
  it('finds nothing in consistent books', () => {
    expect(ledgerFindings(snapshot())).toEqual([]);
    expect(
      ledgerFindings(
        snapshot({
          accounts: [
            account({
              balance: 0,
              held: 0,
              version: 0,
              entriesTotal: 0,
              entryCount: 0,
              maxVersion: 0,
              holdsTotal: 0,
              holdCount: 0,
            }),
          ],
          purchases: [
            purchase({
              total: 0,
              refundedAmount: 0,
              refundsTotal: 0,
              refundCount: 0,
              purchaseEntriesTotal: 0,
              purchaseEntryCount: 0,
              refundEntriesTotal: 0,
            }),
          ],
        }),
      ),
    ).toEqual([]);
  });

  it('names each discrepancy with what was expected and what is there', () => {
    const kinds = ledgerFindings(
      snapshot({
        accounts: [account({ balance: 1001, held: 0, version: 3 })],
        chainBreaks: [
          {
            id: 'ent_2',
            customerId: 'cus_a',
            accountVersion: 4,
            amount: 10,
            balanceAfter: 99,
            prevBalance: 80,
            prevVersion: 2,
          },
        ],
        purchases: [
          purchase({
            refundsTotal: 600,
            refundCount: 2,
            refundEntriesTotal: 100,
            purchaseEntryCount: 2,
            purchaseEntriesTotal: -1000,
          }),
        ],
      }),
    ).map((f) => [f.kind, f.entity, f.expected, f.actual]);
    expect(kinds).toEqual([
      ['balance_mismatch', 'account:cus_a', 1000, 1001],
      ['held_mismatch', 'account:cus_a', 200, 0],
      ['version_mismatch', 'account:cus_a', 3, 2],
      ['version_gap', 'entry:ent_2', 3, 4],
      ['balance_chain_broken', 'entry:ent_2', 90, 99],
      ['refunds_exceed_total', 'purchase:pur_1', 500, 600],
      ['refunded_amount_mismatch', 'purchase:pur_1', 600, 100],
      ['refund_entries_mismatch', 'purchase:pur_1', 600, 100],
      ['purchase_entry_mismatch', 'purchase:pur_1', -500, -1000],
    ]);
  });
});
