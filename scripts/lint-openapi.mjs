#!/usr/bin/env node
/**
 * Lints the served OpenAPI document with Redocly CLI and Spectral (both from the npm registry
 * through npx, pinned; not dependencies of the service). Writes the document to
 * test-results/openapi.json first. Fails on any error; the warnings accepted are in
 * redocly.yaml and .spectral.yaml with the reason for each.
 *
 * Usage: npm run lint:openapi
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REDOCLY = '@redocly/cli@2.77.0';
const SPECTRAL = '@stoplight/spectral-cli@6.15.0';
const out = path.join(root, 'test-results', 'openapi.json');

function run(command, args, options = {}) {
  console.log(`[lint-openapi] ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', options.capture ? 'pipe' : 'inherit', 'inherit'],
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  if (result.status !== 0) {
    console.error(`[lint-openapi] ${command} exited ${result.status ?? result.signal}`);
    process.exit(result.status ?? 1);
  }
  return result.stdout;
}

const document = run(
  'npx',
  [
    'tsx',
    '-e',
    "import('./src/api/openapi.ts').then((m) => process.stdout.write(JSON.stringify(m.buildOpenApiDocument(), null, 2)))",
  ],
  { capture: true },
);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, document);
run('npx', ['--yes', REDOCLY, 'lint', out, '--format=stylish']);
run('npx', ['--yes', SPECTRAL, 'lint', out, '--fail-severity=error']);
console.log('[lint-openapi] no errors');
