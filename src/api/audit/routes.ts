/**
 * Audit: statements, the finance export and the ledger's
 * verification. The balance at an instant is `GET /customers/{id}/credit?asOf=` (credit routes).
 * The use cases are in src/app/audit.ts; handlers parse, call them and write the answer (JSON, CSV
 * or the export's stream).
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
import { customerStatement, exportEntries, exportRange, verifyChains, type ExportRange } from '../../app/audit.js';
import { csvRow } from '../../domain/audit.js';
import { requireRole } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requestIdOf } from '../request-id.js';
import { parseParams, parseQuery } from '../validate.js';
import { EXPORT_COLUMNS, exportCsvRow, statementCsv, toExportedEntry } from './render.js';

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

/**
 * Streams the export's rows as they are fetched, one batch in memory at a time. The status is
 * sent with the first batch; a failure after it cuts the stream, so the client sees it
 * incomplete and resumes by `afterId`.
 */
async function streamExport(
  deps: ApiDeps,
  req: Request,
  res: Response,
  range: ExportRange,
  csv: boolean,
): Promise<void> {
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
    await exportEntries(deps.database.db, range, EXPORT_BATCH, async (rows) => {
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
    deps.logger.error({ err: error, requestId: requestIdOf(req) }, 'ledger export failed mid-stream');
    res.destroy(error instanceof Error ? error : new Error(String(error)));
  }
}

export function auditRouter(deps: ApiDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get(
    '/customers/:customerId/credit/statement',
    requireRole('support'),
    async (req: Request, res: Response<Statement | string>) => {
      const { customerId } = parseParams(req, CustomerIdParam);
      const statement = await customerStatement(deps, customerId, parseQuery(req, StatementQuery), requestIdOf(req));
      if (req.accepts(['application/json', 'text/csv']) !== 'text/csv') {
        res.json(statement);
        return;
      }
      const file = `statement-${customerId}-${statement.from.slice(0, 10)}-${statement.to.slice(0, 10)}.csv`;
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="${file}"`)
        .send(statementCsv(statement));
    },
  );

  router.get('/ledger/entries/export', requireRole('admin'), async (req: Request, res: Response) => {
    const query = parseQuery(req, ExportQuery);
    const range = exportRange(query);
    const csv = query.format
      ? query.format === 'csv'
      : req.accepts(['application/x-ndjson', 'text/csv']) === 'text/csv';
    await streamExport(deps, req, res, range, csv);
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
