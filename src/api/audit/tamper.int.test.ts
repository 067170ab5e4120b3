/**
 * Attacks on the ledger's tamper evidence, on the real stack. Each case builds an account of
 * its own, then — as the database superuser, with every trigger off for the transaction
 * (`SET LOCAL session_replication_role = replica`: no append-only trigger, no chain trigger,
 * no foreign keys) — changes an amount, deletes an entry, inserts a forged one, swaps two
 * entries' order, edits a note, or rewrites an account's whole chain consistently. Each must
 * be found at its entry both by `POST /v1/ledger/verify` and by a reconciliation run, and
 * nothing else may be found; every case puts the rows back, and a clean ledger finds nothing.
 */
import { sql, type SQL } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type {
  ReconciliationFinding,
  ReconciliationRun,
  ReconciliationRunPending,
  VerifyFinding,
  VerifyResult,
} from '../../contracts/index.js';
import type { Tx } from '../../db/client.js';
import { http, newKey } from '../../../test/support/http.js';
import type { PlatformControl } from '../../../test/support/platform.js';
import { TOKENS, type TestStack } from '../../../test/support/stack.js';
import { until } from '../../../test/support/wait.js';
import { useStack } from '../../../test/support/use-stack.js';

let stack: TestStack;
let platform: PlatformControl;
useStack(
  {
    env: { RECONCILE_BATCH_SIZE: '2', LEDGER_CHECKPOINT_KEY: `k1:${'s3cr3t-checkpoint-key-'.repeat(2)}` },
  },
  (started, control) => {
    stack = started;
    platform = control;
  },
);

const url = (path: string): string => `${stack.apiUrl}${path}`;

function rowsOf(result: unknown): Record<string, unknown>[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Record<string, unknown>[];
}

async function exec(query: SQL): Promise<Record<string, unknown>[]> {
  return rowsOf(await stack.database.db.execute(query));
}

/** Runs `fn` as the superuser with every trigger (and foreign key) off, in one transaction. */
async function asSuperuserWithoutTriggers(
  fn: (run: (q: SQL) => Promise<Record<string, unknown>[]>) => Promise<void>,
): Promise<void> {
  await stack.database.db.transaction(async (tx: Tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await fn(async (q) => rowsOf(await tx.execute(q)));
  });
}

async function movement(
  customerId: string,
  kind: 'grants' | 'deductions',
  amount: number,
  note?: string,
): Promise<void> {
  const res = await http('POST', url(`/v1/customers/${customerId}/credit/${kind}`), {
    token: TOKENS.admin,
    idempotencyKey: newKey(kind),
    body: {
      amount,
      currency: 'USD',
      reason: kind === 'grants' ? 'goodwill' : 'correction',
      note: note ?? 'audit test',
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** A fresh account with six entries: +1000, +200, -300, +400, -50, +600. Returns their ids in order. */
async function account(): Promise<{ customerId: string; ids: string[] }> {
  const customerId = await platform.newCustomer();
  await movement(customerId, 'grants', 1000);
  await movement(customerId, 'grants', 200);
  await movement(customerId, 'deductions', 300);
  await movement(customerId, 'grants', 400);
  await movement(customerId, 'deductions', 50);
  await movement(customerId, 'grants', 600);
  const ids = (
    await exec(sql`select id from ledger_entries where customer_id = ${customerId} order by account_version`)
  ).map((r) => String(r.id));
  expect(ids).toHaveLength(6);
  return { customerId, ids };
}

/** Puts an account's entries and row back as they were (the test's own copy). */
async function snapshot(customerId: string): Promise<() => Promise<void>> {
  const entries = await exec(sql`select * from ledger_entries where customer_id = ${customerId}`);
  const [row] = await exec(sql`select balance, version from credit_accounts where customer_id = ${customerId}`);
  const checkpoints = await exec(sql`select * from ledger_checkpoints where customer_id = ${customerId}`);
  return () =>
    asSuperuserWithoutTriggers(async (run) => {
      await run(sql`delete from ledger_entries where customer_id = ${customerId}`);
      await run(sql`delete from ledger_checkpoints where customer_id = ${customerId}`);
      for (const e of entries) {
        await run(sql`insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor,
                      approved_by, purchase_id, refund_id, workflow_id, request_id, idempotency_key, created_at, hash)
                    values (${e.id}, ${e.customer_id}, ${e.account_version}, ${e.type}, ${e.amount}, ${e.currency}, ${e.balance_after}, ${e.reason},
                      ${e.note}, ${e.actor}, ${e.approved_by}, ${e.purchase_id}, ${e.refund_id}, ${e.workflow_id}, ${e.request_id}, ${e.idempotency_key},
                      ${e.created_at}::timestamptz, ${e.hash})`);
      }
      for (const c of checkpoints) {
        await run(sql`insert into ledger_checkpoints (customer_id, account_version, hash, key_id, signature, run_id, created_at)
                    values (${c.customer_id}, ${c.account_version}, ${c.hash}, ${c.key_id}, ${c.signature}, ${c.run_id}, ${c.created_at}::timestamptz)`);
      }
      await run(
        sql`update credit_accounts set balance = ${row?.balance}, version = ${row?.version} where customer_id = ${customerId}`,
      );
    });
}

async function verify(): Promise<VerifyResult> {
  const res = await http<VerifyResult>('POST', url('/v1/ledger/verify'), { token: TOKENS.admin });
  expect(res.status).toBe(200);
  return res.body;
}

async function reconcile(): Promise<ReconciliationRun> {
  const res = await http<ReconciliationRun | ReconciliationRunPending>('POST', url('/v1/reconciliation/runs'), {
    token: TOKENS.admin,
  });
  expect([201, 202]).toContain(res.status);
  const run =
    res.status === 201
      ? (res.body as ReconciliationRun)
      : await until(
          'the run to finish',
          async () => {
            const got = await http<ReconciliationRun>('GET', url(`/v1/reconciliation/runs/${res.body.id}`), {
              token: TOKENS.admin,
            });
            return got.body.status === 'running' ? null : got.body;
          },
          60_000,
        );
  expect(run.status).toBe('completed');
  return run;
}

const kinds = (findings: readonly VerifyFinding[]): string[] =>
  findings.map((f) => `${f.entryId ?? f.customerId}:${f.kind}`).sort();
const reconciled = (run: ReconciliationRun, kind: string): ReconciliationFinding[] =>
  run.findings.filter((f) => f.kind === kind);

/** Tampers, then checks the API's and reconciliation's findings, then restores. */
async function attack(
  tamper: (a: { customerId: string; ids: string[] }) => Promise<void>,
  expectFound: (a: { customerId: string; ids: string[] }, verified: VerifyResult, run: ReconciliationRun) => void,
): Promise<void> {
  const a = await account();
  const restore = await snapshot(a.customerId);
  await tamper(a);
  try {
    const verified = await verify();
    const run = await reconcile();
    expectFound(a, verified, run);
  } finally {
    await restore();
  }
  expect((await verify()).findings).toEqual([]);
}

describe('tamper evidence', () => {
  it("a clean ledger: the API and reconciliation find nothing; the export's hashes are the stored ones", async () => {
    await account();
    await account();
    const verified = await verify();
    expect(verified.findings).toEqual([]);
    expect(verified.accountsChecked).toBeGreaterThanOrEqual(2);
    expect(verified.entriesChecked).toBeGreaterThanOrEqual(12);
    const run = await reconcile();
    expect(run.findings).toEqual([]);
    // Reconciliation signed a checkpoint of every intact head; the next verification checks them.
    expect((await verify()).checkpointsChecked).toBeGreaterThanOrEqual(2);
  });

  it("an entry's amount changed: found at that entry", async () => {
    await attack(
      async ({ ids }) => {
        await asSuperuserWithoutTriggers(async (run) => {
          await run(sql`update ledger_entries set amount = -30 where id = ${ids[2]}`);
        });
      },
      ({ customerId, ids }, verified, run) => {
        expect(kinds(verified.findings)).toEqual([`${ids[2]}:balance_chain_broken`, `${ids[2]}:hash_mismatch`]);
        expect(verified.findings.every((f) => f.customerId === customerId && f.accountVersion === 3)).toBe(true);
        expect(reconciled(run, 'hash_chain_broken').map((f) => f.entity)).toEqual([`entry:${ids[2]}`]);
      },
    );
  });

  it('an entry deleted: found at the entry after it', async () => {
    await attack(
      async ({ ids }) => {
        await asSuperuserWithoutTriggers(async (run) => {
          await run(sql`delete from ledger_entries where id = ${ids[2]}`);
        });
      },
      ({ ids }, verified, run) => {
        expect(kinds(verified.findings)).toEqual([
          `${ids[3]}:balance_chain_broken`,
          `${ids[3]}:hash_mismatch`,
          `${ids[3]}:version_gap`,
        ]);
        expect(reconciled(run, 'hash_chain_broken').map((f) => f.entity)).toEqual([`entry:${ids[3]}`]);
        expect(reconciled(run, 'version_gap').map((f) => f.entity)).toEqual([`entry:${ids[3]}`]);
      },
    );
  });

  it('the last entry deleted (and the account row adjusted to hide it): caught by the signed checkpoint', async () => {
    const a = await account();
    await reconcile(); // signs the head: version 6
    const restore = await snapshot(a.customerId);
    await asSuperuserWithoutTriggers(async (run) => {
      await run(sql`delete from ledger_entries where id = ${a.ids[5]}`);
      await run(
        sql`update credit_accounts set balance = balance - 600, version = 5 where customer_id = ${a.customerId}`,
      );
    });
    try {
      const verified = await verify();
      expect(verified.findings).toEqual([
        expect.objectContaining({
          customerId: a.customerId,
          entryId: null,
          kind: 'checkpoint_mismatch',
          accountVersion: 6,
        }),
      ]);
      const run = await reconcile();
      expect(reconciled(run, 'checkpoint_mismatch').map((f) => f.entity)).toEqual([`account:${a.customerId}`]);
    } finally {
      await restore();
    }
    expect((await verify()).findings).toEqual([]);
  });

  it('a forged entry inserted with a made-up hash: found at the forged entry', async () => {
    const forged = 'ent_01JZZZZZZZZZZZZZZZZZZZZZZZ';
    await attack(
      async ({ customerId }) => {
        await asSuperuserWithoutTriggers(async (run) => {
          await run(sql`insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor, idempotency_key, hash)
                      values (${forged}, ${customerId}, 7, 'grant', 5000, 'USD', 6850, 'goodwill', null, 'alice', ${`forged:${customerId}`}, ${'ab'.repeat(32)})`);
          await run(
            sql`update credit_accounts set balance = balance + 5000, version = 7 where customer_id = ${customerId}`,
          );
        });
      },
      (_a, verified, run) => {
        expect(kinds(verified.findings)).toEqual([`${forged}:hash_mismatch`]);
        expect(reconciled(run, 'hash_chain_broken').map((f) => f.entity)).toEqual([`entry:${forged}`]);
      },
    );
  });

  it('a forged entry inserted mid-chain with a correctly computed hash: the chain breaks at the entry after it', async () => {
    const forged = 'ent_01JZZZZZZZZZZZZZZZZZZZZZZY';
    await attack(
      async ({ customerId }) => {
        await asSuperuserWithoutTriggers(async (run) => {
          // Make room at version 4, then insert a +100 grant there whose hash the attacker computes
          // with the database's own function from the true hash of version 3, and shift the
          // balances after it so the balance_after chain and the account row still add up.
          await run(
            sql`update ledger_entries set account_version = account_version + 100 where customer_id = ${customerId} and account_version >= 4`,
          );
          await run(
            sql`update ledger_entries set account_version = account_version - 99, balance_after = balance_after + 100 where customer_id = ${customerId} and account_version >= 104`,
          );
          await run(sql`insert into ledger_entries (id, customer_id, account_version, type, amount, currency, balance_after, reason, note, actor, idempotency_key, created_at, hash)
                      select ${forged}, ${customerId}, 4, 'grant', 100, 'USD', balance_after + 100, 'goodwill', null, 'alice', ${`forged2:${customerId}`}, created_at, ${'0'.repeat(64)}
                      from ledger_entries where customer_id = ${customerId} and account_version = 3`);
          await run(sql`update ledger_entries f set hash = ledger_entry_hash(p.hash, f) from ledger_entries p
                      where f.id = ${forged} and p.customer_id = f.customer_id and p.account_version = 3`);
          await run(
            sql`update credit_accounts set balance = balance + 100, version = 7 where customer_id = ${customerId}`,
          );
        });
      },
      ({ ids }, verified, run) => {
        // The forged link itself is valid; the original fourth entry, now fifth, no longer is.
        expect(kinds(verified.findings)).toEqual([`${ids[3]}:hash_mismatch`]);
        expect(reconciled(run, 'hash_chain_broken').map((f) => f.entity)).toEqual([`entry:${ids[3]}`]);
      },
    );
  });

  it("two entries' order swapped: found at the entry moved first", async () => {
    await attack(
      async ({ ids }) => {
        await asSuperuserWithoutTriggers(async (run) => {
          await run(sql`update ledger_entries set account_version = 100 where id = ${ids[2]}`);
          await run(sql`update ledger_entries set account_version = 3 where id = ${ids[3]}`);
          await run(sql`update ledger_entries set account_version = 4 where id = ${ids[2]}`);
        });
      },
      ({ ids }, verified, run) => {
        expect(kinds(verified.findings)).toEqual([`${ids[3]}:balance_chain_broken`, `${ids[3]}:hash_mismatch`]);
        expect(reconciled(run, 'hash_chain_broken').map((f) => f.entity)).toEqual([`entry:${ids[3]}`]);
      },
    );
  });

  it('a note edited (no balance changes, invisible to the balance checks): found at that entry', async () => {
    await attack(
      async ({ ids }) => {
        await asSuperuserWithoutTriggers(async (run) => {
          await run(sql`update ledger_entries set note = 'approved by the CFO' where id = ${ids[1]}`);
        });
      },
      ({ ids }, verified, run) => {
        expect(kinds(verified.findings)).toEqual([`${ids[1]}:hash_mismatch`]);
        expect(run.findings.map((f) => `${f.entity}:${f.kind}`)).toEqual([`entry:${ids[1]}:hash_chain_broken`]);
      },
    );
  });

  it('a whole chain rewritten consistently: only the signed checkpoint shows it; a forged checkpoint fails its signature', async () => {
    const a = await account();
    await reconcile(); // signs the head: version 6
    const restore = await snapshot(a.customerId);
    // Change the second entry's amount, then recompute every later balance and hash with the
    // database's own function: the chain is internally perfect.
    await asSuperuserWithoutTriggers(async (run) => {
      await run(sql`update ledger_entries set amount = 2000 where id = ${a.ids[1]}`);
      await run(
        sql`update ledger_entries set balance_after = balance_after + 1800 where customer_id = ${a.customerId} and account_version >= 2`,
      );
      for (let v = 2; v <= 6; v += 1) {
        await run(sql`update ledger_entries f set hash = ledger_entry_hash(p.hash, f) from ledger_entries p
                      where f.customer_id = ${a.customerId} and f.account_version = ${v} and p.customer_id = f.customer_id and p.account_version = ${v - 1}`);
      }
      await run(sql`update credit_accounts set balance = balance + 1800 where customer_id = ${a.customerId}`);
    });
    try {
      const verified = await verify();
      expect(verified.findings).toEqual([
        expect.objectContaining({
          customerId: a.customerId,
          entryId: null,
          kind: 'checkpoint_mismatch',
          accountVersion: 6,
        }),
      ]);
      const run = await reconcile();
      expect(run.findings.map((f) => `${f.entity}:${f.kind}`)).toEqual([`account:${a.customerId}:checkpoint_mismatch`]);

      // The attacker also rewrites the checkpoint's hash, but cannot sign it without the key.
      await asSuperuserWithoutTriggers(async (q) => {
        const [head] = await q(
          sql`select hash from ledger_entries where customer_id = ${a.customerId} and account_version = 6`,
        );
        await q(
          sql`update ledger_checkpoints set hash = ${head?.hash} where customer_id = ${a.customerId} and account_version = 6`,
        );
      });
      expect((await verify()).findings).toEqual([
        expect.objectContaining({ customerId: a.customerId, kind: 'checkpoint_signature_invalid', accountVersion: 6 }),
      ]);
    } finally {
      await restore();
    }
    expect((await verify()).findings).toEqual([]);
  });

  it('the chain trigger hashes every append whatever the insert supplies, and matches the TypeScript recomputation', async () => {
    const a = await account();
    const rows = await exec(
      sql`select hash from ledger_entries where customer_id = ${a.customerId} order by account_version`,
    );
    expect(new Set(rows.map((r) => r.hash)).size).toBe(6);
    // verify() recomputes in TypeScript: an intact ledger means both computations agree.
    expect((await verify()).findings).toEqual([]);
    expect((await http('POST', url('/v1/ledger/verify'), { token: TOKENS.support })).status).toBe(403);
  });
});
