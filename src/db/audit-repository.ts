/**
 * The ledger read as an auditor reads it: balances at an instant, statements, the finance
 * export (a server-side cursor: constant memory, one batch in flight) and the verification of
 * every account's hash chain and balance_after chain, recomputed here in TypeScript from the
 * stored fields (src/domain/ledger-chain.ts), never with the database's own hash functions.
 */
import { sql, type SQL } from 'drizzle-orm';
import { DomainError } from '../domain/errors.js';
import { chainHash, formatMicros, GENESIS_HASH } from '../domain/ledger-chain.js';
import {
  checkpointSignatureValid,
  signCheckpoint,
  type CheckpointFields,
  type CheckpointKey,
} from '../domain/ledger-checkpoint.js';
import type { Db, Executor, Tx } from './client.js';
import { ledgerCheckpoints, type EntryType, type LedgerEntryRow } from './schema.js';

async function rowsOf<T>(db: Executor, query: SQL): Promise<T[]> {
  const result = await db.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

const num = (v: unknown): number => Number(v ?? 0);
const textOrNull = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  throw new TypeError(`expected a text column, got ${typeof v}`);
};

/** Microsecond UTC text of a timestamptz column, the chain's and the export's precision. */
const micros = (column: string): SQL =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

export interface BalanceAsOf {
  readonly currency: string;
  readonly balance: number;
  readonly held: number;
  /** Time of the last entry at or before the instant (microseconds, UTC), or null. */
  readonly lastEntryAt: string | null;
}

/**
 * The balance and held amount of an account at an instant, from the journal and the hold
 * history. Two index seeks and one bounded range: the last entry at or before `asOf`
 * (`ledger_entries_customer_created_idx`), the last hold created at or before it, and the holds
 * created between that hold's `open_since` and `asOf` (every hold pending at `asOf` is among
 * them). Null when the account did not exist.
 */
export async function balanceAsOf(db: Executor, customerId: string, asOf: string): Promise<BalanceAsOf | null> {
  const [row] = await rowsOf<Record<string, unknown>>(
    db,
    sql`
    with account as (select currency from credit_accounts where customer_id = ${customerId}),
    last_entry as (
      select balance_after, ${micros('created_at')} as created_at from ledger_entries
      where customer_id = ${customerId} and created_at <= ${asOf}::timestamptz
      order by created_at desc, account_version desc limit 1),
    last_hold as (
      select coalesce(open_since, '-infinity'::timestamptz) as open_since from credit_holds
      where customer_id = ${customerId} and created_at <= ${asOf}::timestamptz
      order by created_at desc limit 1)
    select a.currency,
           coalesce((select balance_after from last_entry), 0) as balance,
           (select created_at from last_entry) as last_entry_at,
           coalesce((select sum(h.amount) from credit_holds h
                     where h.customer_id = ${customerId}
                       and h.created_at >= (select open_since from last_hold)
                       and h.created_at <= ${asOf}::timestamptz
                       and (h.resolved_at is null or h.resolved_at > ${asOf}::timestamptz)), 0) as held
    from account a`,
  );
  if (!row) return null;
  return {
    currency: String(row.currency),
    balance: num(row.balance),
    held: num(row.held),
    lastEntryAt: textOrNull(row.last_entry_at),
  };
}

/** Entries a statement returns at most; a longer period is the export's job. */
export const MAX_STATEMENT_ENTRIES = 10_000;

export interface StatementData {
  readonly currency: string;
  readonly openingBalance: number;
  readonly closingBalance: number;
  readonly totals: Record<EntryType, number>;
  readonly totalsByReason: Record<string, number>;
  readonly entryCount: number;
  /** Oldest first; empty when `entryCount` exceeds `maxEntries` (the caller refuses). */
  readonly entries: LedgerEntryRow[];
}

/**
 * A statement of the period (from, to]: opening = balance as of `from`, closing = balance as
 * of `to`, and the entries in between, read in one REPEATABLE READ snapshot so the numbers
 * add up even while entries are appended.
 */
export async function readStatement(
  db: Db,
  customerId: string,
  from: string,
  to: string,
  maxEntries = MAX_STATEMENT_ENTRIES,
): Promise<StatementData | null> {
  return db.transaction(
    async (tx) => {
      const opening = await balanceAsOf(tx, customerId, from);
      if (!opening) return null;
      const closing = await balanceAsOf(tx, customerId, to);
      const groups = await rowsOf<Record<string, unknown>>(
        tx,
        sql`
      select type, reason, sum(amount) as total, count(*) as n from ledger_entries
      where customer_id = ${customerId} and created_at > ${from}::timestamptz and created_at <= ${to}::timestamptz
      group by type, reason`,
      );
      const totals: Record<EntryType, number> = { grant: 0, deduction: 0, purchase: 0, refund: 0 };
      const totalsByReason: Record<string, number> = {};
      let entryCount = 0;
      for (const g of groups) {
        const type = String(g.type) as EntryType;
        totals[type] += num(g.total);
        totalsByReason[String(g.reason)] = (totalsByReason[String(g.reason)] ?? 0) + num(g.total);
        entryCount += num(g.n);
      }
      const entries =
        entryCount > maxEntries
          ? []
          : await tx.query.ledgerEntries.findMany({
              where: (e, { and, eq, gt, lte }) =>
                and(
                  eq(e.customerId, customerId),
                  gt(e.createdAt, sql`${from}::timestamptz`),
                  lte(e.createdAt, sql`${to}::timestamptz`),
                ),
              orderBy: (e, { asc }) => [asc(e.createdAt), asc(e.accountVersion)],
            });
      return {
        currency: opening.currency,
        openingBalance: opening.balance,
        closingBalance: closing?.balance ?? opening.balance,
        totals,
        totalsByReason,
        entryCount,
        entries,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Runs `fn` in a read-only REPEATABLE READ transaction: everything it reads is one snapshot. */
export async function inSnapshot<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(fn, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}

/**
 * Runs `query` through a server-side cursor (DECLARE … NO SCROLL CURSOR) in the transaction
 * `tx` and hands `onBatch` one batch of at most `batchSize` rows at a time; the next FETCH
 * waits until `onBatch` resolves, so a slow consumer holds back the database instead of
 * filling memory. Works the same on postgres.js and PGlite. `onBatch` returns false to stop.
 */
export async function cursorIn(
  tx: Tx,
  query: SQL,
  batchSize: number,
  onBatch: (rows: Record<string, unknown>[]) => Promise<boolean>,
): Promise<void> {
  await tx.execute(sql`declare ledger_cursor no scroll cursor for ${query}`);
  for (;;) {
    const rows = await rowsOf<Record<string, unknown>>(
      tx,
      sql.raw(`fetch forward ${Math.trunc(batchSize)} from ledger_cursor`),
    );
    if (rows.length === 0) break;
    if (!(await onBatch(rows))) break;
    if (rows.length < batchSize) break;
  }
  await tx.execute(sql`close ledger_cursor`);
}

export interface ExportRow {
  readonly id: string;
  readonly customerId: string;
  readonly accountVersion: number;
  readonly type: EntryType;
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
  readonly createdAt: string;
  readonly hash: string;
}

export interface ExportRange {
  readonly from: string | null;
  readonly to: string;
  readonly afterId: string | null;
}

/** Where an export resumes: the (created_at, id) of `afterId`, or null when no such entry exists. */
export async function entryPosition(db: Executor, id: string): Promise<{ createdAt: string } | null> {
  const [row] = await rowsOf<Record<string, unknown>>(
    db,
    sql`select created_at::text as created_at from ledger_entries where id = ${id}`,
  );
  return row ? { createdAt: String(row.created_at) } : null;
}

/**
 * Every entry of every account with from < created_at <= to, after `afterId` in
 * (created_at, id) order, batch by batch through a cursor on `ledger_entries_created_idx`.
 * An unknown `afterId` is `entry_not_found`, thrown before anything is read.
 */
export async function exportEntries(
  db: Db,
  range: ExportRange,
  batchSize: number,
  onBatch: (rows: ExportRow[]) => Promise<boolean>,
): Promise<void> {
  const after = range.afterId ? await entryPosition(db, range.afterId) : null;
  if (range.afterId && !after)
    throw new DomainError('entry_not_found', `No ledger entry "${range.afterId}" to resume after.`, {
      entryId: range.afterId,
    });
  const query = sql`
    select id, customer_id, account_version, type, amount::text as amount, currency, balance_after::text as balance_after,
           reason, note, actor, approved_by, purchase_id, refund_id, workflow_id, request_id, idempotency_key,
           ${micros('created_at')} as created_at, hash
    from ledger_entries
    where created_at <= ${range.to}::timestamptz
      ${range.from === null ? sql`` : sql`and created_at > ${range.from}::timestamptz`}
      ${after ? sql`and (created_at, id) > (${after.createdAt}::timestamptz, ${range.afterId})` : sql``}
    order by created_at, id`;
  await inSnapshot(db, (tx) =>
    cursorIn(tx, query, batchSize, (rows) =>
      onBatch(
        rows.map((r): ExportRow => ({
          id: String(r.id),
          customerId: String(r.customer_id),
          accountVersion: num(r.account_version),
          type: String(r.type) as EntryType,
          amount: num(r.amount),
          currency: String(r.currency),
          balanceAfter: num(r.balance_after),
          reason: String(r.reason),
          note: textOrNull(r.note),
          actor: String(r.actor),
          approvedBy: textOrNull(r.approved_by),
          purchaseId: textOrNull(r.purchase_id),
          refundId: textOrNull(r.refund_id),
          workflowId: textOrNull(r.workflow_id),
          requestId: textOrNull(r.request_id),
          idempotencyKey: String(r.idempotency_key),
          createdAt: String(r.created_at),
          hash: String(r.hash),
        })),
      ),
    ),
  );
}

export type ChainFindingKind =
  | 'hash_mismatch'
  | 'version_gap'
  | 'balance_chain_broken'
  | 'head_mismatch'
  | 'checkpoint_mismatch'
  | 'checkpoint_signature_invalid';

export interface ChainFinding {
  readonly customerId: string;
  readonly entryId: string | null;
  readonly kind: ChainFindingKind;
  readonly accountVersion: number | null;
  readonly detail: string;
}

export interface ChainVerification {
  readonly accountsChecked: number;
  readonly entriesChecked: number;
  readonly checkpointsChecked: number;
  readonly findings: ChainFinding[];
  /** The last customer id checked (the keyset position), or null when there was none. */
  readonly lastCustomerId: string | null;
}

export interface VerifyOptions {
  /** Only accounts with customer_id > after … */
  readonly after?: string | null;
  /** … and <= through (a reconciliation batch's range). */
  readonly through?: string | null;
  /** Accounts per verification batch (one cursor each). */
  readonly batchSize?: number;
  /** HMAC key of the signed checkpoints; without it checkpoint signatures are not checked. */
  readonly checkpointKey?: CheckpointKey | null;
  /** Called with the head of every account whose chain is intact (to sign a checkpoint of it). */
  readonly onIntactHead?: (head: { customerId: string; accountVersion: number; hash: string }) => void;
  /** Called between batches (a Temporal activity heartbeats here). */
  readonly onProgress?: (progress: { accounts: number; entries: number }) => void;
}

interface AccountHead {
  readonly customerId: string;
  readonly version: number;
  readonly balance: number;
}

interface CheckpointRow {
  readonly customerId: string;
  readonly accountVersion: number;
  readonly hash: string;
  readonly signature: string;
  readonly keyId: string;
}

/** Walks one account's entries in account_version order and reports its first broken entry. */
class AccountWalk {
  private previousHash = GENESIS_HASH;
  private previousVersion = 0;
  private previousBalance = 0;
  private lastEntryId: string | null = null;
  private broken = false;
  private readonly hashAt = new Map<number, string>();

  constructor(
    private readonly head: AccountHead,
    private readonly checkpoint: CheckpointRow | null,
    private readonly findings: ChainFinding[],
  ) {}

  entry(r: Record<string, unknown>): void {
    const id = String(r.id);
    const version = num(r.account_version);
    const amount = num(r.amount);
    const balanceAfter = num(r.balance_after);
    const stored = String(r.hash);
    const computed = chainHash(this.previousHash, {
      id,
      customerId: this.head.customerId,
      accountVersion: version,
      type: String(r.type),
      amount,
      currency: String(r.currency),
      balanceAfter,
      reason: String(r.reason),
      note: textOrNull(r.note),
      actor: String(r.actor),
      approvedBy: textOrNull(r.approved_by),
      purchaseId: textOrNull(r.purchase_id),
      refundId: textOrNull(r.refund_id),
      workflowId: textOrNull(r.workflow_id),
      requestId: textOrNull(r.request_id),
      idempotencyKey: String(r.idempotency_key),
      createdAtMicros: BigInt(String(r.created_us)),
    });
    if (this.checkpoint && version === this.checkpoint.accountVersion) this.hashAt.set(version, computed);
    if (!this.broken) {
      const here = (kind: ChainFindingKind, detail: string): void => {
        this.findings.push({ customerId: this.head.customerId, entryId: id, kind, accountVersion: version, detail });
      };
      const before = this.findings.length;
      if (version !== this.previousVersion + 1)
        here('version_gap', `account_version ${version} follows ${this.previousVersion}`);
      if (balanceAfter !== this.previousBalance + amount)
        here('balance_chain_broken', `balance_after ${balanceAfter} ≠ ${this.previousBalance} + ${amount}`);
      if (computed !== stored)
        here('hash_mismatch', `stored hash ${stored.slice(0, 12)}… ≠ recomputed ${computed.slice(0, 12)}…`);
      this.broken = this.findings.length > before;
    }
    // Go on from the recomputed link: everything after an altered entry is reported once, here.
    this.previousHash = computed;
    this.previousVersion = version;
    this.previousBalance = balanceAfter;
    this.lastEntryId = id;
  }

  finish(key: CheckpointKey | null, onIntactHead: VerifyOptions['onIntactHead']): number {
    const { customerId } = this.head;
    if (!this.broken && (this.head.version !== this.previousVersion || this.head.balance !== this.previousBalance)) {
      this.broken = true;
      this.findings.push({
        customerId,
        entryId: this.lastEntryId,
        kind: 'head_mismatch',
        accountVersion: this.previousVersion || null,
        detail: `account row: version ${this.head.version}, balance ${this.head.balance}; last entry: version ${this.previousVersion}, balance_after ${this.previousBalance}`,
      });
    }
    const cp = this.checkpoint;
    let cpBroken = false;
    if (cp) {
      if (key && !checkpointSignatureValid(key, cp)) {
        cpBroken = true;
        this.findings.push({
          customerId,
          entryId: null,
          kind: 'checkpoint_signature_invalid',
          accountVersion: cp.accountVersion,
          detail: `checkpoint at version ${cp.accountVersion} (key ${cp.keyId}) does not verify`,
        });
      } else if (this.hashAt.get(cp.accountVersion) !== cp.hash) {
        cpBroken = true;
        this.findings.push({
          customerId,
          entryId: null,
          kind: 'checkpoint_mismatch',
          accountVersion: cp.accountVersion,
          detail: `signed checkpoint records ${cp.hash.slice(0, 12)}… at version ${cp.accountVersion}; the chain there is ${this.hashAt.get(cp.accountVersion)?.slice(0, 12) ?? 'missing'}`,
        });
      }
    }
    if (!this.broken && !cpBroken && this.previousVersion > 0)
      onIntactHead?.({ customerId, accountVersion: this.previousVersion, hash: this.previousHash });
    return cp ? 1 : 0;
  }
}

/**
 * Verifies accounts in customer-id batches: for each batch, the account rows and their latest
 * signed checkpoints, then every entry of the batch through one cursor in
 * (customer_id, account_version) order, each hash recomputed from its fields and the previous
 * recomputed hash. Reports, per account, the first broken entry (every kind of break found
 * there), a head that does not match the account row, and a checkpoint the chain no longer
 * matches. Memory: one batch of account rows and one cursor batch.
 */
export async function verifyChains(db: Db, options: VerifyOptions = {}): Promise<ChainVerification> {
  const batchSize = options.batchSize ?? 500;
  const findings: ChainFinding[] = [];
  let accountsChecked = 0;
  let entriesChecked = 0;
  let checkpointsChecked = 0;
  let after = options.after ?? null;
  const through = options.through ?? null;
  for (;;) {
    const batchAfter = after;
    const heads = await inSnapshot(db, async (tx) => {
      const heads = (
        await rowsOf<Record<string, unknown>>(
          tx,
          sql`
        select customer_id, version, balance::text as balance from credit_accounts
        where ${batchAfter === null ? sql`true` : sql`customer_id > ${batchAfter}`}
          and ${through === null ? sql`true` : sql`customer_id <= ${through}`}
        order by customer_id limit ${batchSize}`,
        )
      ).map((r): AccountHead => ({
        customerId: String(r.customer_id),
        version: num(r.version),
        balance: num(r.balance),
      }));
      const first = heads[0];
      const last = heads[heads.length - 1];
      if (!first || !last) return heads;
      const checkpoints = new Map<string, CheckpointRow>();
      for (const r of await rowsOf<Record<string, unknown>>(
        tx,
        sql`
        select distinct on (customer_id) customer_id, account_version, hash, signature, key_id from ledger_checkpoints
        where customer_id >= ${first.customerId} and customer_id <= ${last.customerId}
        order by customer_id, account_version desc`,
      )) {
        checkpoints.set(String(r.customer_id), {
          customerId: String(r.customer_id),
          accountVersion: num(r.account_version),
          hash: String(r.hash),
          signature: String(r.signature),
          keyId: String(r.key_id),
        });
      }
      const walks = new Map(
        heads.map((h) => [h.customerId, new AccountWalk(h, checkpoints.get(h.customerId) ?? null, findings)]),
      );
      await cursorIn(
        tx,
        sql`
        select id, customer_id, account_version, type, amount::text as amount, currency, balance_after::text as balance_after,
               reason, note, actor, approved_by, purchase_id, refund_id, workflow_id, request_id, idempotency_key,
               ((extract(epoch from created_at) * 1000000)::bigint)::text as created_us, hash
        from ledger_entries
        where customer_id >= ${first.customerId} and customer_id <= ${last.customerId}
        order by customer_id, account_version`,
        2000,
        (rows) => {
          for (const r of rows) {
            walks.get(String(r.customer_id))?.entry(r);
            entriesChecked += 1;
          }
          options.onProgress?.({ accounts: accountsChecked, entries: entriesChecked });
          return Promise.resolve(true);
        },
      );
      for (const walk of walks.values())
        checkpointsChecked += walk.finish(options.checkpointKey ?? null, options.onIntactHead);
      return heads;
    });
    const last = heads[heads.length - 1];
    if (!last) break;
    accountsChecked += heads.length;
    after = last.customerId;
    options.onProgress?.({ accounts: accountsChecked, entries: entriesChecked });
    if (heads.length < batchSize) break;
  }
  return { accountsChecked, entriesChecked, checkpointsChecked, findings, lastCustomerId: after };
}

/**
 * Signs and records checkpoints of intact account heads (idempotent: one row per account and
 * version). Returns how many rows were new.
 */
export async function recordCheckpoints(
  db: Executor,
  key: CheckpointKey,
  heads: readonly CheckpointFields[],
  runId: string | null,
): Promise<number> {
  if (heads.length === 0) return 0;
  const inserted = await db
    .insert(ledgerCheckpoints)
    .values(
      heads.map((h) => ({
        customerId: h.customerId,
        accountVersion: h.accountVersion,
        hash: h.hash,
        keyId: key.id,
        signature: signCheckpoint(key, h),
        runId,
      })),
    )
    .onConflictDoNothing()
    .returning({ customerId: ledgerCheckpoints.customerId });
  return inserted.length;
}

export { formatMicros };
