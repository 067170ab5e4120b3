/**
 * Workflow versioning: histories recorded from earlier shapes of the workflows
 * (test/fixtures/histories/) must still replay on today's code, because executions started
 * before a deploy continue on the new workers. A change of the commands a workflow issues
 * needs a `patched()` branch; this test fails when one is missing (a non-determinism error).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'histories');
const files = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('recorded histories of earlier workflow versions', () => {
  it('has fixtures to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('replays %s', async (file) => {
    // fromObject, not the SDK's historyFromJSON: the fixtures are protobufjs objects as JSON
    // (longs and enums as strings, bytes base64), and historyFromJSON trips over the two
    // protobufjs copies in the SDK's dependency tree ("type must be a Type").
    const history = proto.temporal.api.history.v1.History.fromObject(
      JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<string, unknown>,
    );
    await Worker.runReplayHistory(
      { workflowBundle: { code: readFileSync(inject('workflowBundlePath'), 'utf8') } },
      history,
      file,
    );
  });
});
