import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import type { ConnectionOptions } from 'tls';
import { Client, ClientConfig } from 'pg';

/**
 * A `pg` Client for a short job against a database that may be unreachable or slow: every wait
 * is bounded by `timeoutMs` (connect, each statement server-side, each query client-side), and
 * an idle connection that the server drops cannot crash the process.
 */
export function boundedClient(connection: ClientConfig, applicationName: string, timeoutMs: number): Client {
  const client = new Client({
    application_name: applicationName,
    ...connection,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    // The client-side limit catches a server that stops answering (no statement_timeout then).
    query_timeout: timeoutMs + 1000,
  });
  // An idle client whose server goes away emits 'error'; unhandled, that would crash the function.
  client.on('error', () => undefined);
  return client;
}

// --- TLS: the RDS certificate authorities, and only them --------------------------------------

/** The Lambda Node.js runtimes' bundle of the RDS certificate authorities (PEM). */
export const DEFAULT_CA_FILE = '/var/runtime/ca-cert.pem';

/** A CA bundle that cannot be used: unreadable, or without a certificate in it. */
export class CaBundleError extends Error {}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM CA bundle, for `ssl.ca`. Throws a CaBundleError naming the file
 * when it cannot be read, holds no certificate, or holds one that does not parse: an empty `ca`
 * would make Node trust its default roots (the public Web PKI, and NODE_EXTRA_CA_CERTS) instead.
 */
export function readCaBundle(file: string): string[] {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CaBundleError(`cannot read the CA bundle DB_CA_FILE ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const certificates = pem.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) throw new CaBundleError(`the CA bundle DB_CA_FILE ${file} holds no PEM certificate: verify-full needs the RDS CAs`);
  certificates.forEach((certificate, i) => {
    try {
      new X509Certificate(certificate);
    } catch (e) {
      throw new CaBundleError(`the CA bundle DB_CA_FILE ${file}: certificate ${i + 1} of ${certificates.length} does not parse (${(e as Error).message})`);
    }
  });
  return certificates;
}

/**
 * readCaBundle, each file read once for the life of the returned function (a handler's, so once
 * per execution environment). A failed read is not kept: the next call reports it again.
 */
export function caBundleReader(): (file: string) => string[] {
  const read = new Map<string, string[]>();
  return (file) => {
    let certificates = read.get(file);
    if (!certificates) {
      certificates = readCaBundle(file);
      read.set(file, certificates);
    }
    return certificates;
  };
}

/**
 * pg's `ssl` for verify-full: the chain checked against `ca` only (given `ca`, Node consults
 * neither its public roots nor NODE_EXTRA_CA_CERTS) and the certificate's name against `host`.
 * SNI and `servername` only for a DNS name: an IP address is checked against the certificate's
 * IP subjectAltNames by Node itself.
 */
export function verifyFullSsl(host: string, ca: readonly string[]): ConnectionOptions {
  if (ca.length === 0) throw new CaBundleError('verify-full without a CA certificate: refusing to fall back to Node\'s default roots');
  return { ca: [...ca], rejectUnauthorized: true, ...(net.isIP(host) ? {} : { servername: host }) };
}

/** The Node.js error codes of a certificate TLS refused (chain, issuer, name, validity). */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|DEPTH_ZERO/;

/**
 * Why a verify-full connection was refused, when its certificate was: the name it had to be for
 * and the bundle it had to come from, then Node's code and message (last: Node 24's are long, and
 * reports may be cut). Undefined for any other error.
 */
export function certificateRefusal(e: unknown, host: string, caFile: string): string | undefined {
  // A connection to a name with several addresses fails with an AggregateError: its first error says why.
  const err = (e as { errors?: unknown[] } | null)?.errors?.[0] ?? e;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !CERTIFICATE_ERROR.test(code)) return undefined;
  // Not `instanceof Error`: Node's TLS errors may come from another realm (a test runner's).
  const message = (err as { message?: unknown }).message;
  return `TLS certificate not accepted: verify-full accepts only a certificate for ${host} from a CA in ${caFile} (${code}: ${typeof message === 'string' ? message : String(err)})`;
}
