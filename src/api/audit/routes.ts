/**
 * Audit (api-contract.md § Audit): statements, the finance export and the ledger's
 * verification. The balance at an instant is `GET /customers/{id}/credit?asOf=` (credit routes).
 * The work is in src/db/audit-repository.ts; handlers validate, call it and write the answer.
 */
import { once } from 'node:events';
import { Router, type Request, type Response } from 'express';
import {
  CustomerIdParam,
  ExportQuery,
  StatementQuery,
  type Statement,
  type VerifyResult,
} from '../../contracts/index.js';
import {
  ensureCustomer,
  exportEntries,
  MAX_STATEMENT_ENTRIES,
  readStatement,
  verifyChains,
  type StatementData,
} from '../../app/audit.js';
import { assertNotInFuture, assertPeriod, csvRow } from '../../domain/audit.js';
import { DomainError } from '../../domain/errors.js';
import { requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseParams, parseQuery } from '../validate.js';
import { EXPORT_COLUMNS, exportCsvRow, statementCsv, toExportedEntry, toStatement } from './render.js';

/** Rows per FETCH of the export cursor: one batch is all the export holds in memory. */
const EXPORT_BATCH = 1000;

/** Writes `chunk`, waiting for 'drain' when the socket's buffer is full; false once the client is gone. */
async function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  // One listener pair per wait, both removed when either fires (no listener piles up over a long export).
  const done = new AbortController();
  try {
    await Promise.race([once(res, 'drain', { signal: done.signal }), once(res, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
  return !res.destroyed;
}

export function auditRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get(
    '/customers/:customerId/credit/statement',
    requireRole('support'),
    async (req: Request, res: Response<Statement | string>) => {
      const { customerId } = parseParams(req, CustomerIdParam);
      const query = parseQuery(req, StatementQuery);
      if (query.to) assertNotInFuture(query.to, '`to`');
      assertNotInFuture(query.from, '`from`');
      if (query.to) assertPeriod(query.from, query.to);
      const to = query.to ?? new Date().toISOString();
      let data: StatementData | null = await readStatement(db, customerId, query.from, to);
      if (!data) {
        await ensureCustomer(deps, customerId, requestIdOf(req));
        data = {
          currency: deps.config.defaultCurrency,
          openingBalance: 0,
          closingBalance: 0,
          totals: { grant: 0, deduction: 0, purchase: 0, refund: 0 },
          totalsByReason: {},
          entryCount: 0,
          entries: [],
        };
      }
      if (data.entryCount > MAX_STATEMENT_ENTRIES) {
        throw new DomainError(
          'statement_too_large',
          `The period holds ${data.entryCount} entries; a statement holds at most ${MAX_STATEMENT_ENTRIES}. Ask for a shorter period, or use the export.`,
          { entryCount: data.entryCount, limit: MAX_STATEMENT_ENTRIES },
        );
      }
      const statement = toStatement(customerId, query.from, to, data);
      if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
        res
          .type('text/csv; charset=utf-8')
          .set(
            'Content-Disposition',
            `attachment; filename="statement-${customerId}-${query.from.slice(0, 10)}-${to.slice(0, 10)}.csv"`,
          )
          .send(statementCsv(statement));
        return;
      }
      res.json(statement);
    },
  );

  router.get('/ledger/entries/export', requireRole('admin'), async (req: Request, res: Response) => {
    const query = parseQuery(req, ExportQuery);
    if (query.from) assertNotInFuture(query.from, '`from`');
    if (query.to) assertNotInFuture(query.to, '`to`');
    const csv = query.format
      ? query.format === 'csv'
      : req.accepts(['application/x-ndjson', 'text/csv']) === 'text/csv';
    const range = {
      from: query.from ?? null,
      to: query.to ?? new Date().toISOString(),
      afterId: query.afterId ?? null,
    };
    let started = false;
    const start = async (): Promise<boolean> => {
      if (started) return true;
      started = true;
      res.status(200).type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      if (csv) res.set('Content-Disposition', 'attachment; filename="ledger-entries.csv"');
      res.set('X-Export-To', range.to);
      return write(res, csv ? csvRow(EXPORT_COLUMNS) : '');
    };
    try {
      await exportEntries(db, range, EXPORT_BATCH, async (rows) => {
        if (!(await start())) return false;
        const chunk = csv
          ? rows.map(exportCsvRow).join('')
          : rows.map((r) => `${JSON.stringify(toExportedEntry(r))}\n`).join('');
        return write(res, chunk);
      });
      await start();
      res.end();
    } catch (error) {
      if (!started) throw error;
      // Mid-stream: the status is sent; cut the stream so the client sees it incomplete and resumes by afterId.
      deps.logger.error({ err: error, requestId: requestIdOf(req) }, 'ledger export failed mid-stream');
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  });

  router.post('/ledger/verify', requireRole('admin'), async (_req: Request, res: Response<VerifyResult>) => {
    const result = await verifyChains(db, { checkpointKey: deps.config.ledgerCheckpointKey });
    res.json({
      accountsChecked: result.accountsChecked,
      entriesChecked: result.entriesChecked,
      checkpointsChecked: result.checkpointsChecked,
      findings: result.findings,
    });
  });

  return router;
}
