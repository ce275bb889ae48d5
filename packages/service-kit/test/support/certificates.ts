// Test-only key material, generated per run: never stored in the repo.
import 'reflect-metadata'; // @peculiar/x509 uses tsyringe, which needs it
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const rsa = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export type GeneratedCertificate = { certPem: string; keyPem: string; privateKey: KeyObject };

/** A self-signed certificate (RSA 2048) for `commonName`, with the given subject alternative names. */
export async function selfSignedCertificate(
  commonName: string,
  altNames: Array<{ type: 'dns' | 'ip'; value: string }> = [],
  validity: { notBefore?: Date; notAfter?: Date } = {},
): Promise<GeneratedCertificate> {
  const keys = (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16),
    name: `CN=${commonName}`,
    notBefore: validity.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: validity.notAfter ?? new Date(Date.now() + 24 * 3600_000),
    signingAlgorithm: rsa,
    keys,
    extensions: altNames.length ? [new x509.SubjectAlternativeNameExtension(altNames)] : [],
  });
  const privateKey = KeyObject.from(keys.privateKey);
  return {
    certPem: certificate.toString('pem'),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
  };
}
