/**
 * The credit ledger: accounts, entries and holds. Every balance change goes through
 * `postEntry`, which appends the entry and moves the balance in the same transaction, with one
 * conditional UPDATE that both locks the account row and checks the funds, so concurrent
 * writers serialise on the row (no lost update) and none can overdraw (no check-then-act race).
 */
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { DomainError } from '../domain/errors.js';
import type { Db, Executor } from './client.js';
import { newId } from '../domain/ids.js';
import type { LedgerEntryViewRow } from './resource-views.js';
import {
  creditAccounts,
  creditHolds,
  ledgerEntries,
  type CreditAccountRow,
  type EntryType,
  type LedgerEntryRow,
} from './schema.js';

export interface PostEntryInput {
  readonly customerId: string;
  readonly type: EntryType;
  /** Signed: credits positive, debits negative. */
  readonly amount: number;
  readonly currency: string;
  readonly reason: string;
  readonly note: string | null;
  readonly actor: string;
  /** The admin who approved the change (maker–checker), when it needed one. */
  readonly approvedBy?: string | null;
  /** Unique across the ledger: a second post with the same key is refused by the database. */
  readonly idempotencyKey: string;
  readonly purchaseId?: string | null;
  readonly refundId?: string | null;
  readonly workflowId?: string | null;
  readonly requestId?: string | null;
  /**
   * Debits normally need `available` (balance - held) to cover them. A purchase capture
   * consumes its own hold in the same statement, so it passes the hold's amount here.
   */
  readonly releaseHeld?: number;
}

export interface PostedEntry {
  readonly entry: LedgerEntryRow;
  readonly account: CreditAccountRow;
}

export async function getAccount(db: Executor, customerId: string): Promise<CreditAccountRow | null> {
  const rows = await db.select().from(creditAccounts).where(eq(creditAccounts.customerId, customerId)).limit(1);
  return rows[0] ?? null;
}

/**
 * The two hot reads (the balance, a ledger page) as prepared statements, one set per database:
 * the SQL is built once instead of on every call, and Postgres keeps the parsed statement per
 * connection (drizzle sends other queries unnamed, parsed and planned each time).
 */
interface ReadStatements {
  readonly account: { execute(values: { customerId: string }): Promise<CreditAccountRow[]> };
  readonly newest: { execute(values: { customerId: string; limit: number }): Promise<PageRow[]> };
  readonly before: {
    execute(values: { customerId: string; before: number; limit: number }): Promise<PageRow[]>;
  };
}

/** A ledger page's row: what the entry's resource shows, and the version its cursor needs. */
export type PageRow = LedgerEntryViewRow & Pick<LedgerEntryRow, 'accountVersion'>;

/** Not the hash, the idempotency key, the workflow and request ids: the page does not show them. */
const PAGE_COLUMNS = {
  id: ledgerEntries.id,
  customerId: ledgerEntries.customerId,
  accountVersion: ledgerEntries.accountVersion,
  type: ledgerEntries.type,
  amount: ledgerEntries.amount,
  currency: ledgerEntries.currency,
  balanceAfter: ledgerEntries.balanceAfter,
  reason: ledgerEntries.reason,
  note: ledgerEntries.note,
  actor: ledgerEntries.actor,
  approvedBy: ledgerEntries.approvedBy,
  purchaseId: ledgerEntries.purchaseId,
  refundId: ledgerEntries.refundId,
  createdAt: ledgerEntries.createdAt,
};

const readStatementsByDb = new WeakMap<Db, ReadStatements>();

function readStatements(db: Db): ReadStatements {
  let statements = readStatementsByDb.get(db);
  if (!statements) {
    const customerId = sql.placeholder('customerId');
    const limit = sql.placeholder('limit');
    statements = {
      account: db
        .select()
        .from(creditAccounts)
        .where(eq(creditAccounts.customerId, customerId))
        .limit(1)
        .prepare('credit_account_read'),
      newest: db
        .select(PAGE_COLUMNS)
        .from(ledgerEntries)
        .where(eq(ledgerEntries.customerId, customerId))
        .orderBy(desc(ledgerEntries.accountVersion))
        .limit(limit)
        .prepare('ledger_page_newest'),
      before: db
        .select(PAGE_COLUMNS)
        .from(ledgerEntries)
        .where(
          and(eq(ledgerEntries.customerId, customerId), lt(ledgerEntries.accountVersion, sql.placeholder('before'))),
        )
        .orderBy(desc(ledgerEntries.accountVersion))
        .limit(limit)
        .prepare('ledger_page_before'),
    };
    readStatementsByDb.set(db, statements);
  }
  return statements;
}

/** `getAccount` outside a transaction, as a prepared statement (the balance read). */
export async function readAccount(db: Db, customerId: string): Promise<CreditAccountRow | null> {
  const rows = await readStatements(db).account.execute({ customerId });
  return rows[0] ?? null;
}

/** Creates the account on first use, in the currency of its first movement. */
export async function ensureAccount(db: Executor, customerId: string, currency: string): Promise<void> {
  await db
    .insert(creditAccounts)
    .values({ customerId, currency })
    .onConflictDoNothing({ target: creditAccounts.customerId });
}

/**
 * Appends one entry and applies it to the account. Throws `insufficient_credit` or
 * `currency_mismatch` (before writing anything) when the movement is not allowed.
 * Must run inside a transaction: the entry and the balance commit together or not at all.
 */
export async function postEntry(tx: Executor, input: PostEntryInput): Promise<PostedEntry> {
  if (!Number.isSafeInteger(input.amount) || input.amount === 0)
    throw new RangeError('entry amount must be a non-zero safe integer');
  const releaseHeld = input.releaseHeld ?? 0;
  await ensureAccount(tx, input.customerId, input.currency);
  const updated = await tx
    .update(creditAccounts)
    .set({
      balance: sql`${creditAccounts.balance} + ${input.amount}`,
      held: sql`${creditAccounts.held} - ${releaseHeld}`,
      version: sql`${creditAccounts.version} + 1`,
      updatedAt: sql`clock_timestamp()`,
    })
    .where(
      and(
        eq(creditAccounts.customerId, input.customerId),
        eq(creditAccounts.currency, input.currency),
        sql`${creditAccounts.balance} - (${creditAccounts.held} - ${releaseHeld}) + ${input.amount} >= 0`,
        sql`${creditAccounts.held} - ${releaseHeld} >= 0`,
      ),
    )
    .returning();
  const account = updated[0];
  if (!account) {
    const current = await getAccount(tx, input.customerId);
    if (current && current.currency !== input.currency) {
      throw new DomainError('currency_mismatch', `The account is kept in ${current.currency}, not ${input.currency}.`, {
        accountCurrency: current.currency,
      });
    }
    const available = current ? current.balance - current.held : 0;
    throw new DomainError(
      'insufficient_credit',
      `Available credit ${available} is less than the ${-input.amount} required.`,
      {
        available,
        required: -input.amount,
        currency: input.currency,
      },
    );
  }
  const inserted = await tx
    .insert(ledgerEntries)
    .values({
      id: newId('ent'),
      customerId: input.customerId,
      accountVersion: account.version,
      type: input.type,
      amount: input.amount,
      currency: input.currency,
      balanceAfter: account.balance,
      reason: input.reason,
      note: input.note,
      actor: input.actor,
      approvedBy: input.approvedBy ?? null,
      purchaseId: input.purchaseId ?? null,
      refundId: input.refundId ?? null,
      workflowId: input.workflowId ?? null,
      requestId: input.requestId ?? null,
      idempotencyKey: input.idempotencyKey,
    })
    .returning();
  const entry = inserted[0];
  if (!entry) throw new Error('ledger insert returned no row');
  return { entry, account };
}

export async function findEntryByIdempotencyKey(db: Executor, idempotencyKey: string): Promise<LedgerEntryRow | null> {
  const rows = await db.select().from(ledgerEntries).where(eq(ledgerEntries.idempotencyKey, idempotencyKey)).limit(1);
  return rows[0] ?? null;
}

export interface EntryPage {
  readonly rows: PageRow[];
  /** The account version to continue below, or null on the last page. */
  readonly nextVersion: number | null;
}

/**
 * Newest first, keyset-paginated on the gap-free per-account version (one index seek per
 * page), as a prepared statement. An empty page says nothing about the account: entries exist
 * only for an account (a foreign key), so a caller that needs to know whether it exists asks
 * only when the page is empty.
 */
export async function listEntries(
  db: Db,
  customerId: string,
  limit: number,
  beforeVersion: number | null,
): Promise<EntryPage> {
  const statements = readStatements(db);
  const rows =
    beforeVersion === null
      ? await statements.newest.execute({ customerId, limit: limit + 1 })
      : await statements.before.execute({ customerId, before: beforeVersion, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextVersion: rows.length > limit && last ? last.accountVersion : null };
}

/** Sum of pending holds per account, for invariant checks and reconciliation. */
export async function pendingHoldsTotal(db: Executor, customerId: string): Promise<number> {
  const rows = await db
    .select({ total: sql<string>`coalesce(sum(${creditHolds.amount}), 0)` })
    .from(creditHolds)
    .where(and(eq(creditHolds.customerId, customerId), eq(creditHolds.status, 'pending')));
  return Number(rows[0]?.total ?? 0);
}
