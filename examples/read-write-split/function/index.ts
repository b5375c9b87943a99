/**
 * A Lambda function on the read/write split: `{ action: 'write', note }` stores a note on the
 * primary, `{ action: 'read' }` lists recent notes from a replica.
 *
 * Settings, all set by DatabaseEndpoints.connectFunction() (no URL holds a password):
 * - DB_PRIMARY_URL       postgresql://<user>@writer.<zone>:5432/<db>?sslmode=verify-full (RDS Proxy, IAM auth)
 * - DB_REPLICA_URL       postgresql://<user>@reader.<zone>:<port>/<db>?sslmode=verify-full (replicas, password auth)
 * - DB_PRIMARY_IAM_HOST  the proxy's own endpoint: IAM tokens are signed for it, not for the CNAME
 * - DB_PRIMARY_IAM_PORT  its port (5432 when absent)
 * - DB_REPLICA_SECRET_ARN the read-only user's secret, whose `password` the replicas accept
 * - AWS_REGION           set by Lambda
 * TLS (tlsSettings):
 * - DB_CA_FILE           the CA bundle (PEM) pinned as the only trusted roots: '/var/runtime/ca-cert.pem',
 *                        the RDS CAs of the Lambda Node.js runtimes, when absent
 * - DB_PRIMARY_TLS_NAME  the name the primary's certificate must be for: the proxy's (or the
 *                        instance's) endpoint, as `writer.<zone>` is on no certificate
 * - DB_REPLICA_TLS_NAMES the replicas' endpoints, comma-separated: a reader's certificate must be
 *                        for one of them
 * A URL without sslmode is verify-full; without the TLS names verify-full checks the CNAME, which
 * no RDS certificate carries, so the connection is refused rather than left unchecked.
 */
import * as fs from 'fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import { connectionConfig, createRouter, Router, RouterOptions } from './router';

/** The events this function handles. */
export type NotesEvent =
  | { readonly action: 'write'; readonly note: string }
  | { readonly action: 'read'; readonly limit?: number };

export interface Note {
  readonly id: number;
  readonly body: string;
  readonly createdAt: string;
}

export type NotesResult = { readonly note: Note } | { readonly notes: Note[] };

const SECRET_TTL_MS = 5 * 60_000;
const MAX_NOTE_LENGTH = 10_000;
const MAX_LIMIT = 100;
/** The Lambda Node.js runtimes' bundle of the RDS certificate authorities. */
export const DEFAULT_CA_FILE = '/var/runtime/ca-cert.pem';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const UNDEFINED_TABLE = '42P01';
const INVALID_PASSWORD = '28P01';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** A comma-separated list of names; undefined when the variable is unset or blank. */
function names(value: string | undefined): string[] | undefined {
  const list = (value ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  return list.length > 0 ? list : undefined;
}

/**
 * The router's TLS settings from the environment: the CA bundle DB_CA_FILE as `ssl.ca`, the only
 * roots trusted (given `ca`, Node uses neither its public roots nor NODE_EXTRA_CA_CERTS), and the
 * names DB_PRIMARY_TLS_NAME / DB_REPLICA_TLS_NAMES the certificates are checked against.
 *
 * The bundle is read only when a URL verifies a certificate (verify-ca, verify-full, or no
 * sslmode). A bundle with no certificate in it throws: an empty `ca` would make Node fall back to
 * its default roots.
 */
export function tlsSettings(env: NodeJS.ProcessEnv, urls: readonly string[]): Pick<RouterOptions, 'ssl' | 'primaryTlsNames' | 'replicaTlsNames'> {
  const settings = { primaryTlsNames: names(env.DB_PRIMARY_TLS_NAME), replicaTlsNames: names(env.DB_REPLICA_TLS_NAMES) };
  if (!urls.some((url) => connectionConfig(url).sslMode.startsWith('verify-'))) return settings;
  const caFile = env.DB_CA_FILE?.trim() || DEFAULT_CA_FILE;
  let pem: string;
  try {
    pem = fs.readFileSync(caFile, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the CA bundle DB_CA_FILE ${caFile}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: e });
  }
  const ca = pem.match(PEM_CERTIFICATE);
  if (!ca) throw new Error(`the CA bundle DB_CA_FILE ${caFile} holds no PEM certificate (an empty ca would trust Node's default roots instead)`);
  return { ...settings, ssl: { ca } };
}

/**
 * A password read from a Secrets Manager secret (JSON `{ username, password, ... }`), cached for
 * `ttlMs` so that opening connections does not call Secrets Manager each time, and refetched
 * after that so a rotated password is picked up. Concurrent callers share one request.
 */
export function secretPassword(
  fetchSecret: () => Promise<string | undefined>,
  expectedUser: string,
  ttlMs = SECRET_TTL_MS,
  now: () => number = Date.now,
): { get: () => Promise<string>; invalidate: () => void } {
  let cached: { value: Promise<string>; expires: number } | undefined;
  const load = async (): Promise<string> => {
    const text = await fetchSecret();
    if (!text) throw new Error('the database secret has no SecretString');
    let secret: unknown;
    try {
      secret = JSON.parse(text);
    } catch {
      // Not JSON.parse's message, nor it as a cause: V8 quotes the text's opening characters in it.
      throw new Error('the database secret is not JSON: expected an object with username and password');
    }
    if (typeof secret !== 'object' || secret === null || Array.isArray(secret)) {
      throw new Error('the database secret is not a JSON object: expected one with username and password');
    }
    const { username, password } = secret as { username?: unknown; password?: unknown };
    if (typeof password !== 'string') throw new Error('the database secret has no password');
    // The secret's password is the password of its own user: a different user in the URL cannot
    // log in with it. The secret's own value stays out of the message.
    if (typeof username === 'string' && username !== expectedUser) {
      throw new Error(`the database secret is for another user than '${expectedUser}' of DB_REPLICA_URL`);
    }
    return password;
  };
  return {
    get: () => {
      if (!cached || now() >= cached.expires) {
        const value = load();
        const entry = { value, expires: now() + ttlMs };
        cached = entry;
        // A failed fetch is not cached: the next connection tries again.
        value.catch(() => { if (cached === entry) cached = undefined; });
      }
      return cached.value;
    },
    invalidate: () => { cached = undefined; },
  };
}

let router: Router | undefined;
let replicaSecret: ReturnType<typeof secretPassword> | undefined;
let schemaReady: Promise<void> | undefined;

/** The router of this container, created on first use and kept across invocations. */
function getRouter(): Router {
  if (router) return router;
  const primaryUrl = requireEnv('DB_PRIMARY_URL');
  const replicaUrl = requireEnv('DB_REPLICA_URL');
  const region = requireEnv('AWS_REGION');
  const secretArn = requireEnv('DB_REPLICA_SECRET_ARN');

  // The token is signed locally (no network call); it is valid for 15 minutes and only checked
  // when a connection opens, so signing one per new connection is enough.
  const signer = new Signer({
    hostname: requireEnv('DB_PRIMARY_IAM_HOST'),
    port: Number(process.env.DB_PRIMARY_IAM_PORT || 5432),
    username: connectionConfig(primaryUrl).user,
    region,
  });

  const secrets = new SecretsManagerClient({ region });
  replicaSecret = secretPassword(
    async () => (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString,
    connectionConfig(replicaUrl).user,
  );

  router = createRouter({
    primaryUrl,
    replicaUrl,
    primaryPassword: () => signer.getAuthToken(),
    replicaPassword: replicaSecret.get,
    ...tlsSettings(process.env, [primaryUrl, replicaUrl]),
  });
  return router;
}

/**
 * Creates the table once per container, on the primary (the replicas get it by replication), in
 * the platform's schema `app` (owned by the application user, app_writer; the read-only user reads
 * it by default privileges). Not in `public`: PostgreSQL 15+ lets no one but its owner create there.
 */
function ensureSchema(db: Router): Promise<void> {
  schemaReady ??= db.query('write', `CREATE TABLE IF NOT EXISTS app.notes (
      id bigserial PRIMARY KEY,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`).then(() => undefined, (e: unknown) => {
    schemaReady = undefined;
    throw e;
  });
  return schemaReady;
}

function toNote(row: { id: string | number; body: string; created_at: Date }): Note {
  return { id: Number(row.id), body: row.body, createdAt: row.created_at.toISOString() };
}

export async function handler(event: NotesEvent): Promise<NotesResult> {
  const db = getRouter();
  try {
    switch (event?.action) {
      case 'write': {
        if (typeof event.note !== 'string' || !event.note.trim() || event.note.length > MAX_NOTE_LENGTH) {
          throw new Error(`'note' must be a non-empty string of at most ${MAX_NOTE_LENGTH} characters`);
        }
        await ensureSchema(db);
        const { rows } = await db.query<{ id: string; body: string; created_at: Date }>(
          'write', 'INSERT INTO app.notes (body) VALUES ($1) RETURNING id, body, created_at', [event.note]);
        return { note: toNote(rows[0]) };
      }
      case 'read': {
        const limit = Math.min(Math.max(Math.trunc(Number(event.limit ?? 20)) || 20, 1), MAX_LIMIT);
        try {
          const { rows } = await db.query<{ id: string; body: string; created_at: Date }>(
            'read', 'SELECT id, body, created_at FROM app.notes ORDER BY id DESC LIMIT $1', [limit]);
          // A replica lags the primary a little: a note written just now may not be listed yet.
          return { notes: rows.map(toNote) };
        } catch (e) {
          // Nothing written yet: the table does not exist (on the replicas either).
          if ((e as { code?: string }).code === UNDEFINED_TABLE) return { notes: [] };
          throw e;
        }
      }
      default:
        throw new Error(`unknown action '${String((event as { action?: unknown } | undefined)?.action)}' (expected 'write' or 'read')`);
    }
  } catch (e) {
    // The secret was rotated since it was cached: fetch it again for the next connection.
    if ((e as { code?: string }).code === INVALID_PASSWORD) replicaSecret?.invalidate();
    throw e;
  }
}
