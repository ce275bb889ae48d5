/**
 * Is a Docker engine reachable? Asked over the Engine API (`GET /_ping` answers `OK`), never by
 * running the docker CLI: the CLI is often installed where no daemon runs (as on our build
 * machines), and it is slow to start. Each endpoint gets a short timeout, so a machine without
 * Docker decides in milliseconds (a missing socket fails at once; a closed port is refused).
 *
 * Where to look is where testcontainers looks, in its order, so that the engine we find is the
 * engine it will use: `DOCKER_HOST` (or `docker.host` in `~/.testcontainers.properties`) alone
 * when set; otherwise `/var/run/docker.sock`, then the rootless and Docker Desktop sockets
 * (`$XDG_RUNTIME_DIR/docker.sock`, `~/.docker/run/docker.sock`, `~/.docker/desktop/docker.sock`,
 * `/run/user/<uid>/docker.sock`). Endpoints are `unix:///path`, `tcp://host:port` (https with
 * the client certificates in `DOCKER_CERT_PATH` when `DOCKER_TLS_VERIFY=1`) or `npipe:////./pipe/...`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface DockerProbeOptions {
  /** Environment to read DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH / XDG_RUNTIME_DIR from. */
  env?: NodeJS.ProcessEnv;
  /** Endpoints to try instead of the usual places (tests). */
  endpoints?: string[];
  /** Per endpoint (default 1000 ms). */
  timeoutMs?: number;
}

export interface DockerProbeResult {
  /** The first endpoint whose engine answered `/_ping`, if any. */
  endpoint: string | null;
  /** Every endpoint tried, with why it did not answer (empty `error` for the one that did). */
  tried: { endpoint: string; error: string }[];
}

/** The endpoints testcontainers would use, in its order (see the module comment). */
export function dockerEndpointCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env.DOCKER_HOST || testcontainersPropertiesDockerHost();
  if (configured) return [configured];
  const home = homedir();
  const sockets = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : null,
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    join('/run', 'user', String(userInfo().uid), 'docker.sock'),
  ].filter((s): s is string => s !== null);
  return [...new Set(sockets)].map((s) => `unix://${s}`);
}

/** Pings each endpoint in turn; stops at the first engine that answers. */
export async function probeDockerEngine(options: DockerProbeOptions = {}): Promise<DockerProbeResult> {
  const env = options.env ?? process.env;
  const endpoints = options.endpoints ?? dockerEndpointCandidates(env);
  const tried: DockerProbeResult['tried'] = [];
  for (const endpoint of endpoints) {
    try {
      await pingDockerEngine(endpoint, env, options.timeoutMs ?? 1000);
      tried.push({ endpoint, error: '' });
      return { endpoint, tried };
    } catch (err) {
      tried.push({ endpoint, error: (err as Error).message });
    }
  }
  return { endpoint: null, tried };
}

/** Resolves when the engine at `endpoint` answers `GET /_ping` with 200 `OK`; rejects with the reason otherwise. */
export async function pingDockerEngine(
  endpoint: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 1000,
): Promise<void> {
  const url = new URL(endpoint);
  const signal = AbortSignal.timeout(timeoutMs);
  let request: http.ClientRequest;
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    };
    const common = { method: 'GET', path: '/_ping', signal, headers: { host: 'docker' } };
    if (url.protocol === 'unix:' || url.protocol === 'npipe:') {
      // unix:///var/run/docker.sock -> /var/run/docker.sock; npipe:////./pipe/x -> //./pipe/x
      request = http.request({ ...common, socketPath: url.pathname }, onResponse);
    } else if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
      const tls = url.protocol === 'https:' || (url.protocol === 'tcp:' && env.DOCKER_TLS_VERIFY === '1');
      const target = { ...common, host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)) };
      request = tls
        ? https.request({ ...target, ...dockerTlsFiles(env) }, onResponse)
        : http.request(target, onResponse);
    } else {
      reject(new Error(`unsupported Docker endpoint scheme ${url.protocol}`));
      return;
    }
    request.on('error', reject);
    request.end();
  });
  let outcome: { status: number; body: string };
  try {
    outcome = await answered;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'AbortError' || e.name === 'TimeoutError')
      throw new Error(`no answer within ${timeoutMs} ms`);
    throw new Error(e.code ? `${e.code}` : e.message);
  }
  if (outcome.status !== 200 || outcome.body.trim() !== 'OK') {
    throw new Error(
      `/_ping answered ${outcome.status} ${JSON.stringify(outcome.body.slice(0, 80))}, not a Docker engine`,
    );
  }
}

function dockerTlsFiles(env: NodeJS.ProcessEnv): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const dir = env.DOCKER_CERT_PATH ?? join(homedir(), '.docker');
  try {
    return {
      ca: readFileSync(join(dir, 'ca.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      key: readFileSync(join(dir, 'key.pem')),
    };
  } catch {
    return {};
  }
}

/** `docker.host=` from `~/.testcontainers.properties`, which testcontainers reads too. */
function testcontainersPropertiesDockerHost(): string | undefined {
  let text: string;
  try {
    text = readFileSync(join(homedir(), '.testcontainers.properties'), 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split(/\r?\n/).find((l) => /^\s*docker\.host\s*[=:]/.test(l));
  return line?.replace(/^\s*docker\.host\s*[=:]\s*/, '').trim() || undefined;
}
