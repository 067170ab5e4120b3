#!/usr/bin/env node
/**
 * Trims a production `node_modules` (after `npm ci --omit=dev`; the Dockerfile's deps stage)
 * of what the service never loads there:
 *
 * - the Temporal native bridge's prebuilt binaries for other platforms: the package ships one
 *   `index.node` per target (Linux, macOS, Windows; ~28 MB each) and loads only
 *   `releases/<this arch and OS>/index.node`;
 * - `@electric-sql/pglite`, the embedded database of `npm run dev`: a devDependency, which
 *   `--omit=dev` keeps because drizzle-orm declares it as an optional peer. The production
 *   entrypoints require DATABASE_URL and never import it.
 *
 * Fails when the bridge's binary for this platform is missing. Plain Node ESM, builtins only.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modules = path.join(root, 'node_modules');

function sizeOf(target) {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((sum, entry) => sum + sizeOf(path.join(target, entry)), 0);
}

let freed = 0;
function remove(target, why) {
  if (!existsSync(target)) return;
  const bytes = sizeOf(target);
  rmSync(target, { recursive: true, force: true });
  freed += bytes;
  console.log(`prune-production: removed ${path.relative(root, target)} (${(bytes / 1e6).toFixed(1)} MB): ${why}`);
}

const bridge = path.join(modules, '@temporalio', 'core-bridge');
const require = createRequire(import.meta.url);
const { getPrebuiltTargetName } = require(path.join(bridge, 'common.js'));
const target = getPrebuiltTargetName();
const releases = path.join(bridge, 'releases');
if (!existsSync(path.join(releases, target, 'index.node'))) {
  console.error(`prune-production: ${path.relative(root, releases)}/${target}/index.node is missing`);
  process.exit(1);
}
for (const entry of readdirSync(releases)) {
  if (entry !== target)
    remove(path.join(releases, entry), `Temporal bridge binary for another platform (this one: ${target})`);
}
remove(
  path.join(modules, '@electric-sql', 'pglite'),
  'development database, kept by --omit=dev as an optional peer of drizzle-orm',
);
console.log(`prune-production: ${(freed / 1e6).toFixed(1)} MB freed`);
