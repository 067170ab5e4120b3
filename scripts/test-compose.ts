/**
 * `npm run test:compose`: docker-compose.yml, proven on a real Docker engine. Not part of
 * `npm test` (it builds images and takes minutes).
 *
 *  1. Docker: finds, or on Debian as root installs and starts, an engine (scripts/compose/engine.ts).
 *  2. Images: pulls the public ones; when a pull fails (no registry) or COMPOSE_STANDINS=1, builds
 *     local stand-ins under the same names instead (scripts/compose/build-standins.sh).
 *  3. Builds the service's image from the Dockerfile (the machine's NODE_EXTRA_CA_CERTS, if set,
 *     goes to the build as a secret for npm: it never enters a layer).
 *  4. `docker compose up --wait` on free host ports (loopback only), its own project name.
 *  5. Checks: /v1/ready; a grant, a purchase and a full refund through the API (each response
 *     parsed with its contract), the balance back where it started plus the grant; the internal
 *     app's page and its script; the Temporal Web UI; the purchase workflow, completed and
 *     carrying its search attributes, through the Temporal CLI inside the stack
 *     (`docker compose exec temporal temporal ...`); the ledger invariants against the stack's
 *     Postgres and platform-mock.
 *  6. Tears down whatever happened (also on Ctrl-C): containers, volumes and networks of the
 *     project, the images it built or pulled (COMPOSE_KEEP_IMAGES=1 keeps them for a rerun),
 *     and — when it started the daemon — the build cache, the daemon, docker0 and its iptables rules.
 *
 * Prints a summary with the time of every step. Exit code 0 only when every check passed
 * and the teardown left nothing behind.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  CreditBalance,
  CreditMovementResponse,
  Purchase,
  PurchaseAttempt,
  PurchasePending,
  PurchaseWithRefunds,
  Refund,
} from '../src/contracts/index.js';
import { openDatabase } from '../src/db/client.js';
import { ledgerViolations, purchaseViolations } from '../test/support/invariants.js';
import { ensureCommand, ensureEngine, EngineUnavailable, type Engine } from './compose/engine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const STANDIN_LABEL = 'purchase-ledger.stand-in=true';
const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const PROJECT = `purchase-ledger-test-${RUN_ID}`;
const APP_IMAGE = `purchase-ledger:compose-test-${RUN_ID}`;

interface StepResult {
  readonly name: string;
  readonly seconds: number;
  readonly ok: boolean;
  readonly detail: string;
}
const steps: StepResult[] = [];

async function step<T>(name: string, fn: () => Promise<T>, detail: (value: T) => string = () => ''): Promise<T> {
  const started = Date.now();
  process.stdout.write(`[compose-test] ${name} ...\n`);
  try {
    const value = await fn();
    const result = { name, seconds: (Date.now() - started) / 1000, ok: true, detail: detail(value) };
    steps.push(result);
    process.stdout.write(
      `[compose-test] ${name}: ok (${result.seconds.toFixed(1)} s)${result.detail ? ` ${result.detail}` : ''}\n`,
    );
    return value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    steps.push({ name, seconds: (Date.now() - started) / 1000, ok: false, detail: message.split('\n')[0] ?? '' });
    process.stdout.write(
      `[compose-test] ${name}: FAILED (${((Date.now() - started) / 1000).toFixed(1)} s)\n${message}\n`,
    );
    throw error;
  }
}

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command, capturing its output; `echo` streams it too (long builds). */
function exec(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; echo?: boolean; timeoutMs?: number } = {},
): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (options.echo) process.stderr.write(chunk);
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

async function mustExec(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; echo?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  const result = await exec(command, args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${result.code}:\n${tail}`);
  }
  return result.stdout;
}

/** A free port on 127.0.0.1 below Linux's ephemeral range (32768+), where tests' own ports live. */
async function freeLowPort(taken: Set<number>): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await free(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found in 20000-31999');
}

function token(): string {
  return randomBytes(24).toString('hex');
}

async function http<T>(
  schema: z.ZodType<T>,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; key?: string; expect: number[] },
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.key ? { 'idempotency-key': options.key } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!options.expect.includes(res.status))
    throw new Error(`${method} ${url}: ${res.status}, expected ${options.expect.join(' or ')}: ${text.slice(0, 500)}`);
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(
      `${method} ${url}: the body does not match its contract: ${parsed.error.message}\n${text.slice(0, 500)}`,
    );
  return { status: res.status, body: parsed.data };
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function eventually<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last instanceof Error ? `: ${last.message}` : ''}`);
}

async function imageRefs(engine: Engine): Promise<Set<string>> {
  const out = await mustExec(engine.docker, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
  return new Set(
    out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.includes('<none>')),
  );
}

/** The public images this stack needs: the Dockerfile's base and compose's service images. */
async function publicImages(engine: Engine, env: NodeJS.ProcessEnv): Promise<string[]> {
  const out = await mustExec(
    engine.compose[0] ?? 'docker',
    [...engine.compose.slice(1), '-f', COMPOSE_FILE, '-p', PROJECT, 'config', '--images'],
    { env },
  );
  const { readFileSync } = await import('node:fs');
  const nodeImage = /^ARG NODE_IMAGE=(\S+)/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
  assert(nodeImage !== undefined, 'Dockerfile: no ARG NODE_IMAGE');
  return [
    nodeImage,
    ...out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && l !== APP_IMAGE),
  ];
}

async function main(): Promise<number> {
  const startedAt = Date.now();
  let engine: Engine | null = null;
  let standIns = false;
  let imagesBefore = new Set<string>();
  const builtOrPulled = new Set<string>([APP_IMAGE]);
  let failed = false;
  let teardownOk = true;
  const ports = new Set<number>();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APP_IMAGE,
    COMPOSE_PROJECT_NAME: PROJECT,
    POSTGRES_PASSWORD: token(),
    API_HOST_ADDRESS: '127.0.0.1',
  };
  const tokens = { storefront: token(), support: token(), admin: token() };
  env.API_TOKENS = `shop:storefront:${tokens.storefront},rep:support:${tokens.support},root:admin:${tokens.admin}`;

  let teardownStarted = false;
  const teardown = async (): Promise<void> => {
    if (teardownStarted) return;
    teardownStarted = true;
    if (!engine) return;
    const e = engine;
    const compose = (args: string[]): Promise<Exec> =>
      exec(e.compose[0] ?? 'docker', [...e.compose.slice(1), '-f', COMPOSE_FILE, '-p', PROJECT, ...args], {
        env,
        timeoutMs: 180_000,
      });
    await step(
      'teardown',
      async () => {
        const down = await compose(['down', '--volumes', '--remove-orphans', '--timeout', '30']);
        if (down.code !== 0) throw new Error(`compose down failed: ${down.stderr}`);
        const leftovers: string[] = [];
        for (const kind of ['container', 'volume', 'network'] as const) {
          const args = kind === 'container' ? ['ps', '-aq'] : [kind, 'ls', '-q'];
          const out = await exec(e.docker, [...args, '--filter', `label=com.docker.compose.project=${PROJECT}`]);
          if (out.stdout.trim()) leftovers.push(`${kind}s: ${out.stdout.trim().split('\n').join(' ')}`);
        }
        let removedImages = 0;
        if (process.env.COMPOSE_KEEP_IMAGES !== '1') {
          const remove = [...builtOrPulled].filter((ref) => !imagesBefore.has(ref));
          if (standIns) {
            const labelled = await exec(e.docker, [
              'image',
              'ls',
              '--filter',
              `label=${STANDIN_LABEL}`,
              '--format',
              '{{.Repository}}:{{.Tag}}',
            ]);
            remove.push(
              ...labelled.stdout
                .split('\n')
                .map((l) => l.trim())
                .filter((l) => l && !imagesBefore.has(l)),
            );
          }
          for (const ref of new Set(remove)) {
            const rm = await exec(e.docker, ['image', 'rm', ref]);
            if (rm.code === 0) removedImages += 1;
            else if (!/No such image/i.test(rm.stderr)) leftovers.push(`image ${ref}: ${rm.stderr.trim()}`);
          }
          if (e.startedDaemon) await exec(e.docker, ['builder', 'prune', '--all', '--force']);
        }
        if (leftovers.length > 0) throw new Error(`left behind: ${leftovers.join('; ')}`);
        return removedImages;
      },
      (n) => `(containers, volumes, networks of ${PROJECT}; ${n} images${e.startedDaemon ? ', build cache' : ''})`,
    ).catch(() => {
      teardownOk = false;
    });
    if (e.startedDaemon)
      await step('stop the engine', () => e.stop()).catch(() => {
        teardownOk = false;
      });
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    process.stdout.write(`[compose-test] ${signal}: tearing down\n`);
    void teardown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    engine = await step(
      'docker engine',
      () => ensureEngine(ROOT),
      (e) =>
        `(${[e.docker, ...e.compose.slice(e.compose[0] === e.docker ? 1 : 0)].join(' ')}${e.notes.length ? `; ${e.notes.join('; ')}` : ''})`,
    );
    const e = engine;
    const compose = (args: string[], options: { echo?: boolean; timeoutMs?: number } = {}): Promise<string> =>
      mustExec(e.compose[0] ?? 'docker', [...e.compose.slice(1), '-f', COMPOSE_FILE, '-p', PROJECT, ...args], {
        env,
        ...options,
      });
    imagesBefore = await imageRefs(e);

    const apiPort = await freeLowPort(ports);
    const postgresPort = await freeLowPort(ports);
    const platformPort = await freeLowPort(ports);
    const uiPort = await freeLowPort(ports);
    const temporalPort = await freeLowPort(ports);
    Object.assign(env, {
      API_HOST_PORT: String(apiPort),
      POSTGRES_HOST_PORT: String(postgresPort),
      PLATFORM_HOST_PORT: String(platformPort),
      TEMPORAL_UI_HOST_PORT: String(uiPort),
      TEMPORAL_HOST_PORT: String(temporalPort),
    });

    const images = await publicImages(e, env);
    standIns = process.env.COMPOSE_STANDINS === '1';
    if (!standIns) {
      const pulled = await step(
        'pull the public images',
        async () => {
          for (const image of images) {
            const pull = await exec(e.docker, ['pull', '--quiet', image], { timeoutMs: 600_000 });
            if (pull.code !== 0) {
              if (process.env.COMPOSE_STANDINS === '0') throw new Error(`docker pull ${image}: ${pull.stderr.trim()}`);
              return `${image}: ${pull.stderr.trim().split('\n')[0] ?? ''}`;
            }
            builtOrPulled.add(image);
          }
          return null;
        },
        (failure) => (failure ? `(cannot pull: ${failure}; using stand-ins)` : `(${images.join(', ')})`),
      );
      standIns = pulled !== null;
    }
    if (standIns) {
      ensureCommand('mmdebstrap', 'mmdebstrap', e.notes);
      await step(
        'build the stand-in images',
        () =>
          mustExec('sh', [path.join(ROOT, 'scripts', 'compose', 'build-standins.sh')], {
            env: { ...env, DOCKER: e.docker },
            echo: true,
            timeoutMs: 1_200_000,
          }),
        () => `(${images.join(', ')} + local/bookworm:minbase)`,
      );
    }

    const caFile = process.env.NODE_EXTRA_CA_CERTS;
    await step(
      'build the service image',
      () =>
        mustExec(
          e.docker,
          ['build', '--tag', APP_IMAGE, ...(caFile ? ['--secret', `id=extra_ca,src=${caFile}`] : []), ROOT],
          { env: { ...env, DOCKER_BUILDKIT: '1' }, timeoutMs: 1_800_000 },
        ),
      () => `(${APP_IMAGE}${caFile ? '; NODE_EXTRA_CA_CERTS as a build secret' : ''})`,
    );
    const size = Number((await mustExec(e.docker, ['image', 'inspect', '--format', '{{.Size}}', APP_IMAGE])).trim());
    const user = (await mustExec(e.docker, ['image', 'inspect', '--format', '{{.Config.User}}', APP_IMAGE])).trim();
    assert(user === '1000:1000', `the image runs as "${user}", expected 1000:1000`);
    process.stdout.write(`[compose-test] image ${APP_IMAGE}: ${(size / 1e6).toFixed(0)} MB, user ${user}\n`);

    await step('stack up (--wait)', () =>
      compose(['up', '--detach', '--wait', '--wait-timeout', '420', '--no-build'], { timeoutMs: 480_000 }).catch(
        async (error: unknown) => {
          const ps = await exec(
            e.compose[0] ?? 'docker',
            [...e.compose.slice(1), '-f', COMPOSE_FILE, '-p', PROJECT, 'ps', '-a'],
            { env },
          );
          const logs = await exec(
            e.compose[0] ?? 'docker',
            [...e.compose.slice(1), '-f', COMPOSE_FILE, '-p', PROJECT, 'logs', '--tail', '30'],
            { env },
          );
          throw new Error(
            `${error instanceof Error ? error.message : String(error)}\n${ps.stdout}\n${logs.stdout}${logs.stderr}`,
          );
        },
      ),
    );

    const api = `http://127.0.0.1:${apiPort}`;
    await step('GET /v1/ready', async () => {
      const ready = await http(z.object({ status: z.literal('ready') }).loose(), 'GET', `${api}/v1/ready`, {
        expect: [200],
      });
      return ready.body.status;
    });

    const customer = 'cus_ada';
    const before = (
      await http(CreditBalance, 'GET', `${api}/v1/customers/${customer}/credit`, {
        token: tokens.storefront,
        expect: [200],
      })
    ).body;
    const grantAmount = 20_000; // below APPROVAL_THRESHOLD (50000): posted at once, no approval
    await step(
      'grant (support)',
      async () => {
        const grant = await http(CreditMovementResponse, 'POST', `${api}/v1/customers/${customer}/credit/grants`, {
          token: tokens.support,
          key: `grant-${RUN_ID}`,
          body: { amount: grantAmount, currency: before.currency, reason: 'goodwill' },
          expect: [201],
        });
        assert(
          grant.body.credit.balance === before.balance + grantAmount,
          `balance ${grant.body.credit.balance}, expected ${before.balance + grantAmount}`,
        );
        return grant.body.entry.id;
      },
      (id) => `(entry ${id})`,
    );

    const purchase = await step(
      'purchase (storefront)',
      async () => {
        const res = await http(z.union([Purchase, PurchasePending]), 'POST', `${api}/v1/purchases`, {
          token: tokens.storefront,
          key: `order-${RUN_ID}`,
          body: { customerId: customer, productId: 'prod_keyboard', quantity: 1 },
          expect: [201, 202],
        });
        // 202: still running at the API's deadline (a slow machine); follow the attempt to its end.
        const done =
          res.status === 201
            ? Purchase.parse(res.body)
            : await eventually('the purchase attempt', 120_000, async () => {
                const attempt = await http(PurchaseAttempt, 'GET', `${api}/v1/purchase-attempts/${res.body.id}`, {
                  token: tokens.storefront,
                  expect: [200],
                });
                assert(attempt.body.status !== 'failed', `the purchase failed: ${JSON.stringify(attempt.body.error)}`);
                return attempt.body.purchase;
              });
        assert(done.status === 'completed', `purchase status ${done.status}`);
        return done;
      },
      (p) => `(${p.id}, total ${p.total} ${p.currency})`,
    );

    await step(
      'refund (support)',
      async () => {
        const refund = await http(Refund, 'POST', `${api}/v1/purchases/${purchase.id}/refunds`, {
          token: tokens.support,
          key: `refund-${RUN_ID}`,
          body: { reason: 'requested_by_customer' },
          expect: [201],
        });
        assert(refund.body.amount === purchase.total, `refunded ${refund.body.amount}, expected ${purchase.total}`);
        const after = await http(PurchaseWithRefunds, 'GET', `${api}/v1/purchases/${purchase.id}`, {
          token: tokens.support,
          expect: [200],
        });
        assert(
          after.body.status === 'refunded' && after.body.refundedAmount === purchase.total,
          `purchase after the refund: ${after.body.status}, refunded ${after.body.refundedAmount}`,
        );
        const credit = await http(CreditBalance, 'GET', `${api}/v1/customers/${customer}/credit`, {
          token: tokens.storefront,
          expect: [200],
        });
        assert(
          credit.body.balance === before.balance + grantAmount && credit.body.held === 0,
          `balance ${credit.body.balance} held ${credit.body.held}, expected ${before.balance + grantAmount} and 0`,
        );
        return refund.body.id;
      },
      (id) => `(${id}; balance back to the grant, nothing held)`,
    );

    await step(
      'internal app at /',
      async () => {
        const res = await fetch(`${api}/`, { signal: AbortSignal.timeout(10_000) });
        const html = await res.text();
        assert(
          res.status === 200 && (res.headers.get('content-type') ?? '').includes('text/html'),
          `GET / answered ${res.status} ${res.headers.get('content-type')}`,
        );
        const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
        assert(html.includes('id="root"') && script !== undefined, "GET / is not the internal app's page");
        const js = await fetch(new URL(script, `${api}/`), { signal: AbortSignal.timeout(10_000) });
        assert(
          js.status === 200 && (js.headers.get('content-type') ?? '').includes('javascript'),
          `${script} answered ${js.status}`,
        );
        return script;
      },
      (script) => `(HTML and ${script})`,
    );

    const workflowId = `purchase-${purchase.id}`;
    await step(
      'Temporal Web UI',
      async () => {
        const ui = `http://127.0.0.1:${uiPort}`;
        const page = await fetch(`${ui}/`, { signal: AbortSignal.timeout(10_000) });
        assert(
          page.status === 200 && (page.headers.get('content-type') ?? '').includes('text/html'),
          `the Web UI answered ${page.status}`,
        );
        const query = encodeURIComponent(`WorkflowId="${workflowId}"`);
        return eventually("the purchase in the Web UI's API", 30_000, async () => {
          const res = await fetch(`${ui}/api/v1/namespaces/default/workflows?query=${query}`, {
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as {
            executions?: { execution?: { workflowId?: string }; status?: string }[];
          };
          const found = body.executions?.find((x) => x.execution?.workflowId === workflowId);
          return found ? (found.status ?? '?') : undefined;
        });
      },
      (status) => `(page 200; ${workflowId} listed, ${status})`,
    );

    await step(
      'Temporal CLI in the stack',
      async () => {
        const cli = (args: string[]): string[] => [
          ...args,
          '--address',
          'temporal:7233',
          '--namespace',
          'default',
          '--output',
          'json',
        ];
        // The server container's own CLI; a server image without one: the admin-tools image, on the stack's network.
        const temporal = (args: string[]): Promise<string> =>
          compose(['exec', '-T', 'temporal', 'temporal', ...cli(args)]).catch((error: unknown) => {
            if (!(error instanceof Error) || !/executable file not found|not found in \$PATH/i.test(error.message))
              throw error;
            return compose([
              'run',
              '--rm',
              '--no-deps',
              '-T',
              '--entrypoint',
              'temporal',
              'temporal-admin',
              ...cli(args),
            ]);
          });
        const described = JSON.parse(await temporal(['workflow', 'describe', '--workflow-id', workflowId])) as {
          workflowExecutionInfo?: { status?: string; type?: { name?: string } };
        };
        const info = described.workflowExecutionInfo;
        assert(info?.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED', `workflow describe: status ${info?.status}`);
        // Registered by temporal-admin and upserted by the saga: a list query over them finds it.
        const listed = await eventually('the purchase by its search attributes', 30_000, async () => {
          const out = await temporal([
            'workflow',
            'list',
            '--query',
            `CustomerId="${customer}" AND ProductId="prod_keyboard" AND PurchaseStage="completed"`,
          ]);
          const text = out.trim();
          // A JSON array (json) or one object per line (jsonl), depending on the CLI's version.
          const rows = (
            text.startsWith('[')
              ? (JSON.parse(text) as unknown[])
              : text
                  .split('\n')
                  .filter(Boolean)
                  .map((l) => JSON.parse(l) as unknown)
          ) as { execution?: { workflowId?: string } }[];
          return rows.some((r) => r.execution?.workflowId === workflowId) ? rows.length : undefined;
        });
        return `${info.type?.name ?? '?'} completed; found by CustomerId/ProductId/PurchaseStage (${listed} row${listed === 1 ? '' : 's'})`;
      },
      (detail) => `(${detail})`,
    );

    await step(
      'worker runs the pre-built workflow bundle',
      async () => {
        const logs = await compose(['logs', '--no-color', 'worker']);
        assert(
          logs.includes('workflows from the pre-built bundle'),
          'the worker did not log "workflows from the pre-built bundle"',
        );
        assert(!logs.includes('"level":50') && !logs.includes('"level":60'), 'the worker logged an error');
      },
      () => '(dist/workflow-bundle.js; no error in its log)',
    );

    await step(
      'ledger invariants',
      async () => {
        const database = await openDatabase({
          url: `postgres://postgres:${env.POSTGRES_PASSWORD}@127.0.0.1:${postgresPort}/ledger`,
          poolMax: 2,
        });
        try {
          const violations = [
            ...(await ledgerViolations(database)),
            ...(await purchaseViolations({ database, platformUrl: `http://127.0.0.1:${platformPort}` })),
          ];
          if (violations.length > 0) throw new Error(violations.map((v) => `${v.invariant}: ${v.detail}`).join('\n'));
        } finally {
          await database.close();
        }
      },
      () => '(I1-I5 hold)',
    );
  } catch (error) {
    failed = true;
    if (error instanceof EngineUnavailable) process.stdout.write(`[compose-test] ${error.message}\n`);
  } finally {
    await teardown();
  }

  const total = (Date.now() - startedAt) / 1000;
  process.stdout.write(
    `\n[compose-test] summary (${standIns ? 'STAND-IN images built here, see scripts/compose/build-standins.sh' : 'the public images'}; project ${PROJECT})\n`,
  );
  for (const s of steps)
    process.stdout.write(
      `  ${s.ok ? 'ok  ' : 'FAIL'} ${s.seconds.toFixed(1).padStart(6)} s  ${s.name}${s.detail ? `  ${s.detail}` : ''}\n`,
    );
  process.stdout.write(`  total ${total.toFixed(1)} s: ${failed || !teardownOk ? 'FAILED' : 'passed'}\n`);
  return failed || !teardownOk ? 1 : 0;
}

process.exitCode = await main();
