/**
 * TLS to PostgreSQL the way libpq does it: the CA bundle that verify-ca / verify-full check the
 * server's certificate against comes from PGSSLROOTCERT, or `sslrootcert` in the connection URL
 * (which wins); `sslrootcert=system` means Node's built-in CAs (libpq 16's keyword). RDS
 * certificates are signed by the RDS CAs, which Node does not carry: the bundle is
 * RDS_CA_BUNDLE_URL. One module for `inspect` and `restore --verify-sql`, so that their help, their
 * checks and their hints say the same thing.
 */
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import { UsageError } from './errors';

/** AWS's bundle of every RDS CA, all regions. */
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/** The sslmode values that check the server's certificate, and so need a CA bundle. */
export function checksCertificate(sslmode: string): boolean {
  return sslmode === 'verify-ca' || sslmode === 'verify-full';
}

/** The `sslrootcert` value meaning Node's built-in CAs. */
export const SYSTEM_CAS = 'system';

/**
 * The PEM text of the CA bundle `file` (undefined for `system`: Node's CAs), checked: it must be
 * readable and hold at least one certificate. Throws a UsageError naming `from` (where the path
 * came from) otherwise.
 */
export function readCaBundle(file: string, from: string): string | undefined {
  if (file === SYSTEM_CAS) return undefined;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the CA bundle ${file} (${from}): ${(e as Error).message}`);
  }
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (first === undefined || !parses(first)) throw new UsageError(`the CA bundle ${file} (${from}) holds no PEM certificate: expected a file such as the RDS bundle, ${RDS_CA_BUNDLE_URL}`);
  return pem;
}

function parses(pem: string): boolean {
  try {
    return Boolean(new X509Certificate(pem));
  } catch {
    return false;
  }
}

/** What to do when the server's certificate was refused. */
export const CERTIFICATE_HINT = `set PGSSLROOTCERT (or sslrootcert in the URL) to the CA bundle that signed the server's certificate: for RDS, ${RDS_CA_BUNDLE_URL}; sslmode=require encrypts without checking it`;

/** Whether a connection failed because the server's certificate was not accepted. */
export function isCertificateError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT/.test(code) || /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate/i.test(String(err?.message ?? ''));
}
