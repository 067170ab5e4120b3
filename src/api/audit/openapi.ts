/** OpenAPI registration of the audit routes: statements, the finance export, verification. */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  CustomerIdParam,
  ExportedEntry,
  ExportQuery,
  Statement,
  StatementQuery,
  VerifyResult,
} from '../../contracts/index.js';
import { GENESIS_HASH } from '../../domain/ledger-chain.js';
import { problems } from '../openapi-parts.js';

/** The hash chain's definition, word for word the one the trigger and the verifier implement. */
export const HASH_CHAIN_DESCRIPTION = [
  "Each ledger entry stores `hash` = lowercase hex of SHA-256(the previous entry's hash of the same account as 32 raw bytes ‖ the UTF-8 bytes of canonical(entry)).",
  `The first entry of an account (accountVersion 1) chains from the genesis value ${GENESIS_HASH} (32 zero bytes).`,
  'canonical(entry) concatenates, in this order: id, customerId, accountVersion, type, amount, currency, balanceAfter, reason, note, actor, approvedBy, purchaseId, refundId, workflowId, requestId, idempotencyKey, createdAt — each written as `<number of UTF-8 bytes of the value>:<value>`, or `-` when it is null, with nothing between fields.',
  'Integers are written in decimal, with a leading `-` when negative and no leading zeros; createdAt in UTC with microseconds, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.',
  'Example: an entry `{ id: "ent_1", customerId: "cus_a", accountVersion: 1, type: "grant", amount: 100, … , note: null, … }` starts `5:ent_15:cus_a1:15:grant3:100…` and has `-` where the note is.',
  'The database computes the hash in a BEFORE INSERT trigger; the verifier recomputes every hash from the stored fields, so an entry altered, removed, inserted or moved — even by a superuser with the triggers disabled — breaks the chain at that entry. The export carries every canonical field and the hash, so finance can recompute the chain itself.',
].join(' ');

export function registerAuditPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/customers/{customerId}/credit/statement',
    tags: ['Audit'],
    summary: 'Account statement for a period',
    description: [
      'Role: support. The period is (from, to]: `openingBalance` is the balance as of `from` (as `GET …/credit?asOf=from` answers it), `closingBalance` the balance as of `to`, and `entries` every entry created after `from` and at or before `to`, oldest first, so `openingBalance + Σ entries[].amount = closingBalance`. Read in one snapshot.',
      "`Accept: text/csv` gives the same as CSV (RFC 4180, CRLF): a header, an `opening` row (balance_after = opening balance), one `entry` row per entry, and a `closing` row (amount = the period's net, balance_after = closing balance). Free text a spreadsheet would evaluate (starting with = + - @) is prefixed with an apostrophe.",
      `A period with more than 10000 entries is 422 \`statement_too_large\` (use the export). A \`to\` at or before \`from\` is 422 \`statement_period_invalid\` (a rule between two fields, which the query's schema cannot state). \`from\` or \`to\` in the future → 400 \`instant_in_future\`.`,
    ].join('\n\n'),
    request: { params: CustomerIdParam, query: StatementQuery },
    responses: {
      200: {
        description: 'The statement',
        content: {
          'application/json': { schema: Statement },
          'text/csv': {
            schema: z.string().meta({
              description:
                'row,entry_id,created_at,type,reason,amount,balance_after,currency,note,actor,purchase_id,refund_id',
            }),
          },
        },
      },
      ...problems(
        'customer_not_found',
        'platform_unavailable',
        'instant_in_future',
        'statement_too_large',
        'statement_period_invalid',
      ),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/ledger/entries/export',
    tags: ['Audit'],
    summary: 'Finance export: every entry of a period, streamed',
    description: [
      'Role: admin. Every entry of every account with from < createdAt <= to, ordered by (createdAt, id), streamed through a database cursor in batches of 1000 with backpressure: the server holds one batch in memory whatever the period.',
      'Format: `application/x-ndjson` (default; one ExportedEntry per line) or `text/csv` (`Accept: text/csv` or `format=csv`; a header row, the same columns). The `X-Export-To` header gives the `to` used (default: the time of the request).',
      'Resuming: a stream that breaks is cut short, not closed cleanly; pass the id of the last complete line as `afterId` with the same `from` and `to` to continue exactly after it. An unknown `afterId` is 404 `entry_not_found`.',
      'Export periods that have ended: an entry becomes visible when its transaction commits, a few milliseconds after its createdAt.',
      HASH_CHAIN_DESCRIPTION,
    ].join('\n\n'),
    request: { query: ExportQuery },
    responses: {
      200: {
        description: 'The entries, streamed',
        content: {
          'application/x-ndjson': { schema: ExportedEntry },
          'text/csv': {
            schema: z.string().meta({
              description:
                'id,customerId,accountVersion,type,amount,currency,balanceAfter,reason,note,actor,approvedBy,purchaseId,refundId,workflowId,requestId,idempotencyKey,createdAt,hash',
            }),
          },
        },
      },
      ...problems('instant_in_future', 'entry_not_found'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/ledger/verify',
    tags: ['Audit'],
    summary: "Verify every account's hash chain and balance_after chain",
    description: [
      "Role: admin. Recomputes, for every account, each entry's hash from its stored fields and the previous recomputed hash, and checks account_version continuity, balance_after = previous balance_after + amount, the account row against the last entry, and the latest signed checkpoint (when LEDGER_CHECKPOINT_KEY is set, the signature too). Reports the first broken entry of each account, with every kind of break found there; an intact ledger gives no finding. Takes no body. The scheduled reconciliation runs the same check (finding kinds `hash_chain_broken`, `checkpoint_mismatch`, `checkpoint_signature_invalid`).",
      HASH_CHAIN_DESCRIPTION,
    ].join('\n\n'),
    responses: {
      200: { description: 'The result', content: { 'application/json': { schema: VerifyResult } } },
      ...problems(),
    },
  });
}
