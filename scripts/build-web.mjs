#!/usr/bin/env node
/**
 * Builds the internal app (web/dist) when it is missing or older than its sources, installing
 * web/'s packages first when needed. Runs before `npm test` (the browser tests serve web/dist)
 * and is a fast no-op when nothing changed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const dist = path.join(web, 'dist', 'index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full));
    else latest = Math.max(latest, statSync(full).mtimeMs);
  }
  return latest;
}

function run(args) {
  console.log(`[build-web] npm ${args.join(' ')}`);
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync(path.join(web, 'package.json'))) process.exit(0);
if (!existsSync(path.join(web, 'node_modules'))) run(['--prefix', 'web', 'ci', '--no-audit', '--no-fund']);
const sources = Math.max(
  newest(path.join(web, 'src')),
  newest(path.join(root, 'src', 'contracts')),
  ...['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json']
    .filter((f) => existsSync(path.join(web, f)))
    .map((f) => statSync(path.join(web, f)).mtimeMs),
);
if (existsSync(dist) && statSync(dist).mtimeMs >= sources) {
  console.log('[build-web] web/dist is up to date');
  process.exit(0);
}
run(['--prefix', 'web', 'run', 'build']);
