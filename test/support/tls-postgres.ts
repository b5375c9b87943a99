/**
 * A real PostgreSQL with TLS on, its certificate signed by a CA made here (openssl): what an RDS
 * instance is to the CLI (a server whose CA Node does not trust), on 127.0.0.1.
 *
 *   const tls = await startTlsPostgres();
 *   // tls.caFile: the CA bundle for PGSSLROOTCERT; tls.server: the server (ssl=on)
 *   await tls.stop();
 *
 * The server's certificate names 127.0.0.1 and localhost (subjectAltName), and any `dnsNames`
 * given (e.g. `*.aaaaaaaaaa.us-east-1.rds.amazonaws.com`, the endpoints moto reports), so
 * verify-full passes with the CA. The key is owned by the user the server runs as (postgres, when the tests run as
 * root) with mode 0600, as PostgreSQL demands.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runningAsRoot, serverUserIds } from './postgres-binaries';
import { PostgresServer, startPostgres } from './postgres-server';

/** A started TLS server and its CA. */
export interface TlsPostgres {
  readonly server: PostgresServer;
  /** The CA certificate (PEM) that signed the server's. */
  readonly caFile: string;
  /** A directory for the test's own files (removed by stop). */
  readonly dir: string;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Options of startTlsPostgres. */
export interface StartTlsPostgresOptions {
  /** More names for the certificate's subjectAltName (wildcards allowed). @default none */
  readonly dnsNames?: string[];
}

export async function startTlsPostgres(opts: StartTlsPostgresOptions = {}): Promise<TlsPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-tls-'));
  fs.chmodSync(dir, 0o755);
  try {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', '/CN=db-playbook test CA', '-keyout', 'ca.key', '-out', 'ca.pem'], dir);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
    const names = ['IP:127.0.0.1', 'DNS:localhost', ...(opts.dnsNames ?? []).map((n) => `DNS:${n}`)];
    fs.writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=${names.join(',')}\n`);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'san.ext', '-out', 'server.pem'], dir);
    const key = path.join(dir, 'server.key');
    fs.chmodSync(key, 0o600);
    if (runningAsRoot()) {
      const { uid, gid } = serverUserIds();
      fs.chownSync(key, uid, gid);
      fs.chownSync(path.join(dir, 'server.pem'), uid, gid);
    }
    const server = await startPostgres({ settings: { ssl: 'on', ssl_cert_file: path.join(dir, 'server.pem'), ssl_key_file: key } });
    return {
      server,
      caFile: path.join(dir, 'ca.pem'),
      dir,
      stop: async () => {
        await server.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
