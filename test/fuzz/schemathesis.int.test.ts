/**
 * API fuzzing with Schemathesis against the served OpenAPI document (`/v1/openapi.json`),
 * on the real stack, with a valid admin token (every route is reachable). A fixed seed and
 * deterministic generation make the run repeatable; bounded examples keep it short.
 * Fails on any 5xx or any response that does not match the document; ends with I1–I5.
 *
 * Needs `.tools/bin/schemathesis` (`npm run setup -- --with-schemathesis`); without it the
 * test fails with that instruction. Figures go to test-results/schemathesis/.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/temporal/dev-server.js';
import { http, newKey } from '../support/http.js';
import { assertAllInvariants } from '../support/invariants.js';
import { startStack, TOKENS, type TestStack } from '../support/stack.js';

const SCHEMATHESIS = path.join(REPO_ROOT, '.tools', 'bin', 'schemathesis');
const REPORT_DIR = path.join(REPO_ROOT, 'test-results', 'schemathesis');
export const SEED = 20261125;
export const MAX_EXAMPLES = 25;
export const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'response_headers_conformance'];

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { SHIPMENT_RETRY_BUDGET_MS: '2000', PURCHASE_SYNC_TIMEOUT_MS: '4000' } });
  // Credit on the seeded customers, so generated purchases of the documented examples can succeed.
  for (const customerId of ['cus_ada', 'cus_grace']) {
    const res = await http('POST', `${stack.apiUrl}/v1/customers/${customerId}/credit/grants`, {
      token: TOKENS.admin, idempotencyKey: newKey('fuzz-seed'), body: { amount: 10_000_000, currency: 'USD', reason: 'goodwill' },
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await stack?.close();
});

interface RunResult {
  readonly code: number | null;
  readonly output: string;
}

function runSchemathesis(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false', PYTHONUNBUFFERED: '1', PYTHONFAULTHANDLER: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: string[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    // The run is bounded by --max-examples; this only stops a hung process.
    // SIGABRT first: the fault handler prints every Python thread's stack, then the process dies
    // (exit code null: killed by a signal).
    const timer = setTimeout(() => {
      child.kill('SIGABRT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output: chunks.join('') });
    });
  });
}

describe('schemathesis', () => {
  it('finds no server error and no response outside the OpenAPI document', async () => {
    expect(existsSync(SCHEMATHESIS), 'schemathesis is not installed: run `npm run setup -- --with-schemathesis`').toBe(true);
    mkdirSync(REPORT_DIR, { recursive: true });
    const args = [
      'run', `${stack.apiUrl}/v1/openapi.json`,
      '--url', stack.apiUrl,
      '--header', `Authorization: Bearer ${TOKENS.admin}`,
      '--checks', CHECKS.join(','),
      '--phases', 'examples,coverage,fuzzing',
      '--seed', String(SEED),
      '--generation-deterministic',
      '--max-examples', String(MAX_EXAMPLES),
      '--workers', '1',
      '--request-timeout', '15',
      '--no-color',
      '--output-sanitize', 'true',
      '--report', 'junit,ndjson',
      '--report-dir', REPORT_DIR,
    ];
    // A run takes ~30 s. Once in about ten runs on a loaded 2-core machine we saw Schemathesis
    // stall (no request for minutes): the stall is killed with its Python stacks saved, and
    // the same deterministic run is started once more. Both are counted in summary.json.
    let hangs = 0;
    let started = Date.now();
    let result = await runSchemathesis(args, 100_000);
    if (result.code === null) {
      hangs += 1;
      writeFileSync(path.join(REPORT_DIR, 'hang-output.txt'), result.output);
      started = Date.now();
      result = await runSchemathesis(args, 100_000);
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(path.join(REPORT_DIR, 'output.txt'), result.output);
    const generated = /(\d+) generated/.exec(result.output)?.[1];
    const failures = /found (\d+) unique failures/.exec(result.output)?.[1] ?? (result.code === 0 ? '0' : 'unknown');
    const operations = /Tested: (\d+)/.exec(result.output)?.[1];
    writeFileSync(path.join(REPORT_DIR, 'summary.json'), `${JSON.stringify({ seed: SEED, maxExamples: MAX_EXAMPLES, checks: CHECKS, operations, generated, failures, seconds, exitCode: result.code, hangs }, null, 2)}\n`);
    expect(result.code, result.output.slice(-8000)).toBe(0);
    expect(Number(generated)).toBeGreaterThan(500);
    await assertAllInvariants(stack);
  }, 260_000);
});
