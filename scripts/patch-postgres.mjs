#!/usr/bin/env node
/**
 * Patches postgres.js 3.4.9 (the `postgres` package) after every `npm ci` / `npm install`
 * (the root `postinstall` script): a backend terminated under a transaction or a reserved
 * connection crashes the whole process. The transaction's own ROLLBACK is written to the
 * closed connection; `write()` defers it to a `setImmediate`, which then runs
 * `socket.write` on `socket = null` and throws where no caller can catch it:
 *
 *   TypeError: Cannot read properties of null (reading 'write') at nextWrite (src/connection.js:255)
 *
 * Upstream: porsager/postgres#1154, #1208 (fix PRs #1168, #1176, #1209, not released).
 * Found by the fault suite (test/faults) and src/db/client.int.test.ts, which reproduce each
 * of the defects below with real terminated backends. The patch, in each of src/ (Node's
 * `import`), cjs/src (`require`) and cf/src (workerd):
 *
 * 1. `execute()` rejects a query at once with CONNECTION_CLOSED when the connection has no
 *    socket (closed and not yet reconnected): only a holder of a dead connection (a
 *    transaction, a reserved connection) can call it then; the pool never does.
 * 2. `nextWrite()` never writes to a missing socket: it drops the bytes and rejects what
 *    waited on the connection (a last guard; after 1 nothing reaches it).
 * 3. `closed()` and `terminate()` reset the pending write (`chunk`, `nextWriteTimer`): they
 *    cleared the timer but kept it non-null, so a connection closed with a write pending
 *    never flushed again — its next StartupMessage waited behind a timer that never fires,
 *    until `connect_timeout`, on every reconnect.
 * 4. `closed()` forgets the query it has just rejected and its error (`query`,
 *    `errorResponse`, `rows`): kept, the first ReadyForQuery of the next session rejected
 *    that session's first query with the old error (a terminated backend's FATAL 57P01 failed
 *    one more query per connection), and `end()` waited for the dead query forever. When the
 *    connection was still starting (`initial` set: its own array-types query was running),
 *    that query is rejected first.
 * 5. The array-types query's rejection is handled: `fetchArrayTypes()` was started from a
 *    message handler that drops its promise, so a backend terminated while a new connection
 *    fetched its types crashed the process with an unhandled rejection. The waiting query
 *    (`initial`) still gets the error or runs on the next session, which fetches the types.
 *
 * Idempotent. Fails the install when postgres is not 3.4.9 or the source does not match:
 * then check whether the new release fixes the issues above (remove this script and the
 * `postinstall` entry) or port the patch. Plain Node ESM, builtins only (it also runs in
 * `npm ci --omit=dev`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '3.4.9';
const MARK = 'purchase-ledger patch (porsager/postgres#1208)';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'node_modules', 'postgres');

/** [before, after]: each `before` occurs exactly once in an unpatched file. */
const REPLACEMENTS = [
  [
    `  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))
`,
    `  function execute(q) {
    if (terminated)
      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))

    // ${MARK}: closed, not reconnected: only a holder of the dead connection
    // (a transaction's ROLLBACK, a reserved connection) gets here. Reject, do not write.
    if (!socket)
      return (queryError(q, Errors.connection('CONNECTION_CLOSED', options)), true)
`,
  ],
  [
    `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)
`,
    `  function nextWrite(fn) {
    if (!socket) { // ${MARK}: never write to a closed connection
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)
`,
  ],
  [
    `    clearImmediate(nextWriteTimer)
    if (socket) {
`,
    `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null // ${MARK}
    if (socket) {
`,
  ],
  [
    `    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)
`,
    `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null // ${MARK}
    socket.removeListener('data', data)
`,
  ],
  [
    `    if (initial)
      return reconnect()

    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
`,
    `    if (initial) { // ${MARK}: the lost session's own query (array types) fails, its error is forgotten
      query && queryError(query, Errors.connection('CONNECTION_CLOSED', options))
      query = errorResponse = null, rows = 0
      return reconnect()
    }

    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))
    query = errorResponse = null, rows = 0 // ${MARK}: settled; not the next session's
`,
  ],
  [
    `        return fetchArrayTypes()
`,
    `        return fetchArrayTypes().catch(noop) // ${MARK}: failed with its connection, fetched again on the next
`,
  ],
];

function fail(message) {
  console.error(`patch-postgres: ${message}`);
  process.exit(1);
}

if (!existsSync(join(pkgDir, 'package.json'))) fail(`${pkgDir} not found: run it after npm ci`);
const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
if (version !== VERSION) {
  fail(
    `this patch is for postgres ${VERSION}, ${version} is installed. If ${version} fixes porsager/postgres#1208 ` +
      '(nextWrite on a null socket), remove scripts/patch-postgres.mjs and the postinstall script; otherwise port the patch.',
  );
}

let changed = 0;
for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js']) {
  const target = join(pkgDir, file);
  let text = readFileSync(target, 'utf8');
  const before = text;
  for (const [from, to] of REPLACEMENTS) {
    if (text.includes(to)) continue;
    const at = text.indexOf(from);
    if (at < 0 || text.indexOf(from, at + 1) >= 0)
      fail(`${file}: the code to patch was not found exactly once:\n${from}`);
    text = text.slice(0, at) + to + text.slice(at + from.length);
  }
  if (text !== before) {
    writeFileSync(target, text);
    changed += 1;
  }
}
console.log(
  changed
    ? `patch-postgres: patched postgres ${VERSION} (${changed} files)`
    : `patch-postgres: postgres ${VERSION} already patched`,
);
