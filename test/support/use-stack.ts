/**
 * The usual life of an integration test file's stack: started before its tests, closed after
 * them, and after each test the injected platform faults cleared and invariants I1–I5
 * checked (every test of money ends with the invariants).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { assertAllInvariants } from './invariants.js';
import { PlatformControl } from './platform.js';
import { startStack, type StackOptions, type TestStack } from './stack.js';

/** Registers the hooks; `started` receives the stack and its platform control once they are up. */
export function useStack(options: StackOptions, started: (stack: TestStack, platform: PlatformControl) => void): void {
  let stack: TestStack | undefined;
  let platform: PlatformControl | undefined;
  beforeAll(async () => {
    stack = await startStack(options);
    platform = new PlatformControl(stack.platformUrl);
    started(stack, platform);
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(async () => {
    if (!stack || !platform) throw new Error('the stack did not start');
    await platform.clearFaults();
    await assertAllInvariants(stack);
  });
}
