/**
 * devcloud's local certificate authority, made on first run in `<dataDir>/tls/` and reused
 * afterwards (pure JS: @peculiar/x509 over Node's WebCrypto, no openssl needed).
 *
 * - `ca.pem` / `ca-key.pem`: the root (10 years). Services trust it as an extra CA: for
 *   devcloud's HTTPS edge, for SNS signing certificates, and for the stack's web certificate.
 * - `issueCertificate()` makes leaf certificates signed by that root: the TLS server
 *   certificate (`localhost`, `127.0.0.1`, `::1` plus any names asked for) and the SNS
 *   message-signing certificate. A leaf is reissued only when missing, expiring within a
 *   day, or lacking a requested host name.
 *
 * Nothing here is a secret worth keeping: it lives in the (git-ignored) data directory and is
 * only for local development.
 */
// @peculiar/x509 resolves its ASN.1 serializers through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import { X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const DAY_MS = 86_400_000;

export interface LocalCa {
  certPem: string;
  keyPem: string;
  certPath: string;
  dir: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export async function ensureLocalCa(dataDir: string): Promise<LocalCa> {
  const dir = join(dataDir, 'tls');
  await mkdir(dir, { recursive: true });
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca-key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return {
      certPem: await readFile(certPath, 'utf8'),
      keyPem: await readFile(keyPath, 'utf8'),
      certPath,
      dir,
    };
  }
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${Date.now().toString(16)}`,
    name: 'CN=GAS devcloud local CA (development only), O=GAS devcloud',
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    signingAlgorithm: RSA,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem');
  const keyPem = await exportKeyPem(keys.privateKey);
  await writeAtomic(keyPath, keyPem);
  await writeAtomic(certPath, certPem);
  return { certPem, keyPem, certPath, dir };
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  const cert = new NodeX509(certPem);
  if (new Date(cert.validTo).getTime() < Date.now() + DAY_MS) return false;
  // checkIP/checkHost compare the way TLS clients do (IPv6 in any spelling, exact DNS names).
  return hosts.every((h) =>
    isIp(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h, { wildcards: false }) !== undefined,
  );
}

const isIp = (h: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(h) || h.includes(':');

/**
 * Issues (or reuses) `<name>.pem` + `<name>-key.pem` in the CA's folder.
 * `purpose` 'server' adds the TLS server usage and the host names as SANs; 'signing' is a
 * plain digital-signature certificate (SNS message signing).
 */
export async function issueCertificate(
  ca: LocalCa,
  name: string,
  opts: { hosts: string[]; purpose: 'server' | 'signing'; commonName?: string },
): Promise<IssuedCertificate> {
  const certPath = join(ca.dir, `${name}.pem`);
  const keyPath = join(ca.dir, `${name}-key.pem`);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = await readFile(certPath, 'utf8');
    if (coversHosts(certPem, opts.hosts))
      return { certPem, keyPem: await readFile(keyPath, 'utf8'), certPath, keyPath };
  }
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', fromPem(ca.keyPem), RSA, false, ['sign']);
  const keys = await generateKeys();
  const now = Date.now();
  const sans: x509.JsonGeneralName[] = opts.hosts.map((h) => ({ type: isIp(h) ? 'ip' : 'dns', value: h }));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      opts.purpose === 'server'
        ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
        : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  if (opts.purpose === 'server')
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `02${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`,
    subject: `CN=${opts.commonName ?? opts.hosts[0] ?? name}, O=GAS devcloud`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 825 * DAY_MS),
    signingAlgorithm: RSA,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  const certPem = cert.toString('pem');
  const keyPem = await exportKeyPem(keys.privateKey);
  await writeAtomic(keyPath, keyPem);
  await writeAtomic(certPath, certPem);
  return { certPem, keyPem, certPath, keyPath };
}

/** The default names devcloud's own TLS certificate covers. */
export const DEFAULT_TLS_HOSTS = ['localhost', '127.0.0.1', '::1'];
