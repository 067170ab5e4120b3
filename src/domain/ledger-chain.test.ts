/**
 * The chain's canonical form, pinned by vectors computed outside this code (Python's hashlib
 * over the documented serialisation), so a change of field order, encoding or precision fails
 * here rather than in every existing ledger.
 */
import { describe, expect, it } from 'vitest';
import { canonicalEntry, chainHash, formatMicros, GENESIS_HASH, type ChainEntry } from './ledger-chain.js';
import { checkpointSignatureValid, signCheckpoint } from './ledger-checkpoint.js';
import { csvRow, csvText } from './audit.js';

const first: ChainEntry = {
  id: 'ent_1',
  customerId: 'cus_a',
  accountVersion: 1,
  type: 'grant',
  amount: 100,
  currency: 'USD',
  balanceAfter: 100,
  reason: 'goodwill',
  note: null,
  actor: 'alice',
  approvedBy: 'root',
  purchaseId: null,
  refundId: null,
  workflowId: null,
  requestId: null,
  idempotencyKey: 'grant:k1:a',
  createdAtMicros: 1796083199_123456n,
};
const second: ChainEntry = {
  id: 'ent_2',
  customerId: 'cus_a',
  accountVersion: 2,
  type: 'purchase',
  amount: -100,
  currency: 'USD',
  balanceAfter: 0,
  reason: 'purchase',
  note: '2 × Mousé',
  actor: 'web',
  approvedBy: null,
  purchaseId: 'pur_1',
  refundId: null,
  workflowId: 'purchase-pur_1',
  requestId: 'req_1',
  idempotencyKey: 'purchase:pur_1',
  createdAtMicros: 1796083200_000001n,
};

describe('ledger hash chain', () => {
  it('serialises length-prefixed UTF-8 fields in the documented order, null as "-"', () => {
    expect(canonicalEntry(first)).toBe(
      '5:ent_15:cus_a1:15:grant3:1003:USD3:1008:goodwill-5:alice4:root----10:grant:k1:a27:2026-11-30T23:59:59.123456Z',
    );
    expect(canonicalEntry(second)).toContain('11:2 × Mousé');
    expect(canonicalEntry(second)).toContain('4:-100');
  });

  it('matches the independently computed vectors, from the genesis value', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    const h1 = chainHash(GENESIS_HASH, first);
    expect(h1).toBe('71146ef619ce7dd583f1f930707fe957383a5be73edac4405eddf182d550a908');
    expect(chainHash(h1, second)).toBe('b4a75ec12f9029417144b68bb150b0e21d29ef0c35c2afa6383b4793ab33c272');
  });

  it('changes with any field, and with the previous hash', () => {
    const base = chainHash(GENESIS_HASH, first);
    expect(chainHash(GENESIS_HASH, { ...first, note: '' })).not.toBe(base);
    expect(chainHash(GENESIS_HASH, { ...first, createdAtMicros: first.createdAtMicros + 1n })).not.toBe(base);
    expect(chainHash('1'.repeat(64), first)).not.toBe(base);
    // Length prefixes keep field boundaries: moving a character between fields changes the hash.
    expect(chainHash(GENESIS_HASH, { ...first, actor: 'alic', idempotencyKey: 'egrant:k1:a' })).not.toBe(base);
  });

  it('formats microseconds in UTC, also before 1970', () => {
    expect(formatMicros(0n)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatMicros(1796083200_000001n)).toBe('2026-12-01T00:00:00.000001Z');
    expect(formatMicros(-1n)).toBe('1969-12-31T23:59:59.999999Z');
  });

  it('checkpoint signatures verify with the key and only with it', () => {
    const key = { id: 'k1', secret: 'x'.repeat(40) };
    const c = { customerId: 'cus_a', accountVersion: 2, hash: 'ab'.repeat(32) };
    const signature = signCheckpoint(key, c);
    expect(checkpointSignatureValid(key, { ...c, signature, keyId: 'k1' })).toBe(true);
    expect(checkpointSignatureValid({ id: 'k1', secret: 'y'.repeat(40) }, { ...c, signature, keyId: 'k1' })).toBe(
      false,
    );
    expect(checkpointSignatureValid(key, { ...c, accountVersion: 3, signature, keyId: 'k1' })).toBe(false);
    expect(checkpointSignatureValid(key, { ...c, signature: 'zz', keyId: 'k1' })).toBe(false);
  });
});

describe('CSV', () => {
  it('quotes what needs quoting and neutralises formulas in free text', () => {
    expect(csvRow(['a', 1, null, 'b,c', 'say "hi"', 'x\ny'])).toBe('a,1,,"b,c","say ""hi""","x\ny"\r\n');
    expect(csvText('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvText('-1')).toBe("'-1");
    expect(csvText('fine')).toBe('fine');
  });
});
