/**
 * The per-account hash chain of ledger entries, computed in TypeScript. The database computes
 * the same chain at insert time (trigger `ledger_entries_chain`, drizzle/0008); the verifier
 * recomputes it here from the stored fields, so an entry changed, removed or added behind the
 * triggers' back breaks the chain at that entry whatever the database's functions say.
 *
 * hash_n = hex(SHA-256(bytes(hash_{n-1}) ‖ canonical(entry_n))), hash_0 = GENESIS_HASH.
 * canonical(entry): the fields of `CANONICAL_FIELDS` in that order, each written as
 * `<UTF-8 byte length of the value>:<value>`, or `-` for null; integers in decimal (a leading
 * `-` when negative, no `+`, no leading zeros); `created_at` in UTC with microseconds,
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ`. The whole string is hashed as UTF-8.
 */
import { createHash } from 'node:crypto';

/** The value the first entry of every account chains from: 32 zero bytes, in hex. */
export const GENESIS_HASH = '0'.repeat(64);

/** The canonical fields, in hashing order (the column names of `ledger_entries`). */
export const CANONICAL_FIELDS = [
  'id',
  'customer_id',
  'account_version',
  'type',
  'amount',
  'currency',
  'balance_after',
  'reason',
  'note',
  'actor',
  'approved_by',
  'purchase_id',
  'refund_id',
  'workflow_id',
  'request_id',
  'idempotency_key',
  'created_at',
] as const;

/** An entry as the chain sees it. `createdAtMicros`: microseconds since the Unix epoch, UTC. */
export interface ChainEntry {
  readonly id: string;
  readonly customerId: string;
  readonly accountVersion: number;
  readonly type: string;
  readonly amount: number;
  readonly currency: string;
  readonly balanceAfter: number;
  readonly reason: string;
  readonly note: string | null;
  readonly actor: string;
  readonly approvedBy: string | null;
  readonly purchaseId: string | null;
  readonly refundId: string | null;
  readonly workflowId: string | null;
  readonly requestId: string | null;
  readonly idempotencyKey: string;
  readonly createdAtMicros: bigint;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ` from microseconds since the epoch (UTC). */
export function formatMicros(micros: bigint): string {
  const millis = micros / 1000n;
  const rest = micros % 1000n;
  const floorMillis = rest < 0n ? millis - 1n : millis;
  const subMillis = rest < 0n ? rest + 1000n : rest;
  const iso = new Date(Number(floorMillis)).toISOString();
  return `${iso.slice(0, -1)}${subMillis.toString().padStart(3, '0')}Z`;
}

function field(value: string | number | null): string {
  if (value === null) return '-';
  const text = typeof value === 'number' ? integerText(value) : value;
  return `${Buffer.byteLength(text, 'utf8')}:${text}`;
}

function integerText(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  return value.toString(10);
}

/** The canonical string of an entry (hashed as UTF-8). */
export function canonicalEntry(e: ChainEntry): string {
  return [
    e.id,
    e.customerId,
    e.accountVersion,
    e.type,
    e.amount,
    e.currency,
    e.balanceAfter,
    e.reason,
    e.note,
    e.actor,
    e.approvedBy,
    e.purchaseId,
    e.refundId,
    e.workflowId,
    e.requestId,
    e.idempotencyKey,
    formatMicros(e.createdAtMicros),
  ]
    .map(field)
    .join('');
}

/** The hash of `entry` chained from `previousHash` (hex). */
export function chainHash(previousHash: string, entry: ChainEntry): string {
  if (!/^[0-9a-f]{64}$/.test(previousHash)) throw new RangeError('previous hash must be 64 lowercase hex digits');
  return createHash('sha256')
    .update(Buffer.from(previousHash, 'hex'))
    .update(canonicalEntry(entry), 'utf8')
    .digest('hex');
}
