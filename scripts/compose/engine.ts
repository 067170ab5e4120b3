/**
 * The Docker engine for `npm run test:compose`: finds a client that builds with BuildKit and
 * Compose v2, and — on a Debian machine where the script runs as root — installs and starts
 * what is missing, then puts the machine back as it was:
 *
 * - no client or daemon: `apt-get install -y docker.io` (Debian's Docker 20.10);
 * - no Compose v2: the `docker-compose` 2.x binary from Debian trixie's .deb, fetched with a
 *   private apt configuration (the system's sources are not touched) into `.tools/bin/`;
 * - no running daemon: `dockerd` started by this process, and on `stop()` stopped by its pid,
 *   its `docker0` bridge deleted, the iptables rules and chains it added removed, and
 *   `net.ipv4.ip_forward` restored.
 *
 * Elsewhere it prints one line saying what to install.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Engine {
  /** The docker client (BuildKit capable). */
  readonly docker: string;
  /** The Compose v2 command: `[docker, 'compose']` or a standalone `docker-compose` 2.x. */
  readonly compose: readonly string[];
  /** What was installed or started for this run, for the summary. */
  readonly notes: string[];
  /** True when this process started the daemon (and so owns its build cache). */
  readonly startedDaemon: boolean;
  /** Stops a daemon this process started and removes what it left on the host; else a no-op. */
  stop(): Promise<void>;
}

export class EngineUnavailable extends Error {}

const COMPOSE_DEB = 'docker-compose=2.26.1-4';
const INSTALL_HINT =
  'test:compose needs Docker with BuildKit and Compose v2: on Debian run it as root (it installs docker.io itself), or install Docker Engine and the compose plugin (https://docs.docker.com/engine/install/)';

function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    encoding: 'utf8',
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 60_000,
  });
}

function ok(command: string, args: readonly string[]): boolean {
  const result = run(command, args);
  return result.status === 0;
}

function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

const isRoot = (): boolean => process.getuid?.() === 0;
const isDebian = (): boolean => existsSync('/etc/debian_version') && which('apt-get') !== null;

function aptInstall(packages: readonly string[], notes: string[]): void {
  if (!isRoot() || !isDebian()) throw new EngineUnavailable(INSTALL_HINT);
  console.log(`[engine] installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let result = run('apt-get', ['install', '-y', '-q', ...packages], { env, timeoutMs: 600_000 });
  if (result.status !== 0) {
    run('apt-get', ['update', '-q'], { env, timeoutMs: 300_000 });
    result = run('apt-get', ['install', '-y', '-q', ...packages], { env, timeoutMs: 600_000 });
  }
  if (result.status !== 0)
    throw new EngineUnavailable(
      `apt-get install ${packages.join(' ')} failed: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  notes.push(`installed with apt-get: ${packages.join(', ')}`);
}

/** Installs a Debian package when its command is missing (mmdebstrap for the stand-ins). */
export function ensureCommand(command: string, aptPackage: string, notes: string[]): void {
  if (which(command)) return;
  aptInstall([aptPackage], notes);
}

/** A client that builds with BuildKit: one with buildx, or a pre-23 client (BuildKit built in). */
function findClient(): string | null {
  const candidates = [which('docker'), '/usr/bin/docker'].filter((c): c is string => c !== null && existsSync(c));
  for (const candidate of [...new Set(candidates)]) {
    if (ok(candidate, ['buildx', 'version'])) return candidate;
    const version = run(candidate, ['version', '--format', '{{.Client.Version}}']).stdout.trim();
    const major = Number(version.split('.')[0]);
    if (Number.isInteger(major) && major > 0 && major < 23) return candidate;
  }
  return null;
}

function composeV2(command: readonly string[]): boolean {
  const [bin, ...args] = command;
  if (!bin) return false;
  const result = run(bin, [...args, 'version', '--short']);
  return result.status === 0 && /^v?2\./.test(result.stdout.trim());
}

/** Debian trixie's docker-compose 2.x (a Go binary that runs on bookworm), into `.tools/bin/`. */
function installCompose(root: string, notes: string[]): string {
  const target = path.join(root, '.tools', 'bin', 'docker-compose');
  if (existsSync(target)) return target;
  if (!isRoot() || !isDebian()) throw new EngineUnavailable(INSTALL_HINT);
  console.log(`[engine] fetching Compose v2 (${COMPOSE_DEB} from Debian trixie) into .tools/bin/`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'compose-deb-'));
  try {
    for (const dir of ['lists/partial', 'cache/archives/partial']) mkdirSync(path.join(work, dir), { recursive: true });
    writeFileSync(
      path.join(work, 'sources.list'),
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n',
    );
    const apt = [
      '-q',
      '-o',
      `Dir::Etc::SourceList=${path.join(work, 'sources.list')}`,
      '-o',
      'Dir::Etc::SourceParts=/dev/null',
      '-o',
      `Dir::State::Lists=${path.join(work, 'lists')}`,
      '-o',
      `Dir::Cache=${path.join(work, 'cache')}`,
    ];
    const update = run('apt-get', [...apt, 'update'], { timeoutMs: 300_000 });
    if (update.status !== 0)
      throw new EngineUnavailable(`apt-get update (trixie, private lists) failed: ${update.stderr.trim()}`);
    const download = spawnSync('apt-get', [...apt, 'download', COMPOSE_DEB], {
      cwd: work,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (download.status !== 0 || !deb)
      throw new EngineUnavailable(`apt-get download ${COMPOSE_DEB} failed: ${download.stderr.trim()}`);
    const unpacked = path.join(work, 'x');
    const extract = run('dpkg-deb', ['-x', path.join(work, deb), unpacked]);
    const plugin = path.join(unpacked, 'usr', 'libexec', 'docker', 'cli-plugins', 'docker-compose');
    if (extract.status !== 0 || !existsSync(plugin))
      throw new EngineUnavailable(`${deb} has no usr/libexec/docker/cli-plugins/docker-compose`);
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(plugin, target);
    chmodSync(target, 0o755);
    notes.push(`Compose v2 from ${deb} into .tools/bin/docker-compose`);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface HostSnapshot {
  readonly iptables: Map<string, string>;
  readonly ipForward: string | null;
  readonly hadDocker0: boolean;
}

function snapshotHost(): HostSnapshot {
  const iptables = new Map<string, string>();
  for (const tool of ['iptables-save', 'ip6tables-save']) {
    if (which(tool)) iptables.set(tool, run(tool, []).stdout);
  }
  const forward = '/proc/sys/net/ipv4/ip_forward';
  return {
    iptables,
    ipForward: existsSync(forward) ? readFileSync(forward, 'utf8').trim() : null,
    hadDocker0: run('ip', ['link', 'show', 'docker0']).status === 0,
  };
}

const BUILTIN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

/** iptables-save output by table: the table's chain (`:`) and rule (`-A`) lines. */
function tablesOf(save: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) tables.set(line.slice(1).trim(), (current = []));
    else if (current && (line.startsWith(':') || line.startsWith('-A '))) current.push(line);
  }
  return tables;
}

/** Rules and chains in `after` that `before` did not have, as `iptables` arguments to undo them. */
function iptablesUndo(before: string, after: string): string[][] {
  const parse = (text: string): { rules: Set<string>; chains: Set<string>; policies: Map<string, string> } => {
    const rules = new Set<string>();
    const chains = new Set<string>();
    const policies = new Map<string, string>();
    let table = '';
    for (const line of text.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1).trim();
      else if (line.startsWith(':')) {
        const [name = '', policy = '-'] = line.slice(1).split(' ');
        chains.add(`${table} ${name}`);
        if (policy !== '-') policies.set(`${table} ${name}`, policy);
      } else if (line.startsWith('-A ')) rules.add(`${table} ${line.slice(3)}`);
    }
    return { rules, chains, policies };
  };
  const b = parse(before);
  const a = parse(after);
  const undo: string[][] = [];
  for (const rule of a.rules) {
    if (b.rules.has(rule)) continue;
    const [table = 'filter', ...rest] = rule.split(' ');
    undo.push(['-t', table, '-D', ...splitRule(rest.join(' '))]);
  }
  for (const chain of a.chains) {
    const [table = 'filter', name = ''] = chain.split(' ');
    if (b.chains.has(chain) || BUILTIN_CHAINS.has(name)) continue;
    undo.push(['-t', table, '-F', name], ['-t', table, '-X', name]);
  }
  // dockerd sets FORWARD's policy to DROP; put back what was there.
  for (const [chain, policy] of b.policies) {
    const [table = 'filter', name = ''] = chain.split(' ');
    if (a.policies.get(chain) !== policy) undo.push(['-t', table, '-P', name, policy]);
  }
  return undo;
}

/** iptables-save quotes arguments with spaces ("--comment "x y""); split like a shell would. */
function splitRule(rule: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rule); m; m = re.exec(rule)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return check();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function ensureEngine(root: string): Promise<Engine> {
  const notes: string[] = [];
  let docker = findClient();
  if (!docker || (!ok(docker, ['info']) && !which('dockerd') && !existsSync('/usr/sbin/dockerd'))) {
    aptInstall(['docker.io'], notes);
    docker = findClient();
  }
  if (!docker) throw new EngineUnavailable(INSTALL_HINT);

  let compose: readonly string[] = [docker, 'compose'];
  if (!composeV2(compose)) {
    const standalone = which('docker-compose');
    compose = standalone && composeV2([standalone]) ? [standalone] : [installCompose(root, notes)];
    if (!composeV2(compose)) throw new EngineUnavailable(INSTALL_HINT);
  }

  if (ok(docker, ['info'])) {
    return { docker, compose, notes, startedDaemon: false, stop: () => Promise.resolve() };
  }
  const dockerd = which('dockerd') ?? (existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : null);
  if (!dockerd || !isRoot())
    throw new EngineUnavailable(
      `no Docker daemon answers and this process cannot start one: start dockerd (or Docker Desktop), then run npm run test:compose again`,
    );

  const host = snapshotHost();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'dockerd-'));
  const logFile = path.join(logDir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const daemon = spawn(dockerd, [], { detached: true, stdio: ['ignore', log, log] });
  daemon.unref();
  const pid = daemon.pid;
  if (pid === undefined) throw new EngineUnavailable(`${dockerd} did not start`);
  console.log(`[engine] started ${dockerd} (pid ${pid}, log ${logFile})`);
  notes.push(`dockerd started by the test (pid ${pid}) and stopped at the end`);
  if (!(await waitFor(() => ok(docker, ['info']), 60_000))) {
    process.kill(pid, 'SIGTERM');
    throw new EngineUnavailable(`dockerd did not answer within 60 s: see ${logFile}`);
  }

  const stop = async (): Promise<void> => {
    if (processAlive(pid)) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitFor(() => !processAlive(pid), 60_000))) process.kill(pid, 'SIGKILL');
    }
    if (!host.hadDocker0 && run('ip', ['link', 'show', 'docker0']).status === 0) run('ip', ['link', 'del', 'docker0']);
    let removed = 0;
    for (const [tool, before] of host.iptables) {
      const iptables = tool === 'iptables-save' ? 'iptables' : 'ip6tables';
      for (const args of iptablesUndo(before, run(tool, []).stdout)) {
        if (run(iptables, args).status === 0) removed += 1;
      }
    }
    // Tables that iptables-nft created for dockerd and that are empty again: drop them too.
    for (const [tool, before] of host.iptables) {
      if (!which('nft')) break;
      const family = tool === 'iptables-save' ? 'ip' : 'ip6';
      for (const [table, lines] of tablesOf(run(tool, []).stdout)) {
        const empty = !lines.some(
          (l) => l.startsWith('-A ') || (l.startsWith(':') && !BUILTIN_CHAINS.has(l.slice(1).split(' ')[0] ?? '')),
        );
        if (empty && !tablesOf(before).has(table)) run('nft', ['delete', 'table', family, table]);
      }
    }
    if (host.ipForward !== null && readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== host.ipForward) {
      writeFileSync('/proc/sys/net/ipv4/ip_forward', `${host.ipForward}\n`);
    }
    rmSync(logDir, { recursive: true, force: true });
    console.log(
      `[engine] dockerd stopped; docker0 removed, ${removed} iptables changes undone, ip_forward=${host.ipForward ?? '?'}`,
    );
  };
  return { docker, compose, notes, startedDaemon: true, stop };
}
