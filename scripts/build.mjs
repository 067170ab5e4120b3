#!/usr/bin/env node
/**
 * `npm run build`: the production build, what the Dockerfile runs. Writes `dist/`, a mirror of
 * the repository's run-time tree, so paths the code resolves relative to itself hold there too:
 *
 *   dist/src, dist/workflows, dist/activities, dist/platform-mock/src   compiled by tsc (tsconfig.build.json)
 *   dist/drizzle                                                        the migrations (`migrate` reads them)
 *   dist/web/dist                                                       the internal app (built by Vite)
 *   dist/workflow-bundle.js                                             the workflows, bundled once with
 *                                                                       `bundleWorkflowCode` (the worker loads it)
 *
 * Run with `node dist/src/main.js api|worker|migrate` and `node dist/platform-mock/src/main.js`;
 * needs only the production dependencies at run time. Plain Node ESM, builtins and installed
 * packages only.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

function step(name, fn) {
  const started = Date.now();
  fn();
  console.log(`[build] ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

step('internal app (web/dist)', () => run(process.execPath, [path.join(root, 'scripts', 'build-web.mjs')]));
rmSync(dist, { recursive: true, force: true });
step('tsc (tsconfig.build.json)', () =>
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']),
);
step('assets (drizzle, web/dist)', () => {
  cpSync(path.join(root, 'drizzle'), path.join(dist, 'drizzle'), { recursive: true });
  cpSync(path.join(root, 'web', 'dist'), path.join(dist, 'web', 'dist'), { recursive: true });
});

// The compiled worker module says where the workflows and their interceptors are in dist/.
const worker = await import(pathToFileURL(path.join(dist, 'src', 'temporal', 'worker.js')).href);
const { bundleWorkflowCode } = await import('@temporalio/worker');
const started = Date.now();
const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };
const { code } = await bundleWorkflowCode({
  workflowsPath: worker.WORKFLOWS_PATH,
  workflowInterceptorModules: worker.WORKFLOW_INTERCEPTOR_MODULES,
  logger: quiet,
});
writeFileSync(worker.PREBUILT_WORKFLOW_BUNDLE, code);
console.log(
  `[build] workflow bundle (${Math.round(code.length / 1024)} KiB): ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

for (const required of [
  'src/main.js',
  'platform-mock/src/main.js',
  'workflow-bundle.js',
  'web/dist/index.html',
  'drizzle/meta/_journal.json',
]) {
  if (!existsSync(path.join(dist, required)) || statSync(path.join(dist, required)).size === 0) {
    console.error(`[build] dist/${required} is missing`);
    process.exit(1);
  }
}
console.log('[build] dist/ is ready: node dist/src/main.js api|worker|migrate');
