#!/usr/bin/env node
/**
 * Runs before `npm test` (`pretest`): installs what the test run needs the way `npm run dev`
 * does — the Temporal CLI into `.tools/` (scripts/setup.mjs) and the internal app's build
 * (scripts/build-web.mjs), both fast no-ops when already done — and checks what it cannot
 * install: Chromium for the browser tests and a Postgres at DATABASE_URL. Whatever is missing
 * is said in one line, with the command that fixes it, before vitest starts (whose own
 * message for a failed global setup would be a misleading "No test files found").
 * Plain Node ESM, builtins only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

function runScript(script) {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', script)], { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

function canConnect(host, port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

if (!runScript('setup.mjs')) {
  problems.push(
    'the Temporal CLI or the time-skipping test server: `npm run setup` could not install them into .tools/ (needs python3 with venv and PyPI; output above)',
  );
}
if (!runScript('build-web.mjs')) {
  problems.push('the internal app build (web/dist): `npm run build:web` failed (output above)');
}

// Same default as test/e2e/browser-support.ts.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  problems.push(
    `Chromium for the browser tests: none at ${chromium} (CHROMIUM_PATH); install it with \`apt-get install -y chromium\``,
  );
}

// Same default as test/support/databases.ts.
const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const dbHost = databaseUrl.hostname || '127.0.0.1';
const dbPort = Number(databaseUrl.port || 5432);
if (!(await canConnect(dbHost, dbPort))) {
  problems.push(
    `Postgres: nothing answers at ${dbHost}:${dbPort} (DATABASE_URL); start it, e.g. \`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\``,
  );
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`npm test cannot run: missing ${problem}`);
  process.exit(1);
}
