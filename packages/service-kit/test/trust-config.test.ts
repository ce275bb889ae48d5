import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertTrustedUrl, ConfigError, snsTrustFromConfig } from '../src/index.ts';
import { selfSignedCertificate } from './support/certificates.ts';

describe('SNS trust settings from config', () => {
  it('defaults to the regional SNS host', () => {
    expect(snsTrustFromConfig({ AWS_REGION: 'eu-west-3' })).toEqual({
      allowedHosts: ['sns.eu-west-3.amazonaws.com'],
    });
    expect(snsTrustFromConfig({ AWS_REGION: 'cn-north-1' }).allowedHosts).toEqual([
      'sns.cn-north-1.amazonaws.com.cn',
    ]);
  });

  it('reads the configured host list and the extra CA file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gas-trust-'));
    const ca = await selfSignedCertificate('devcloud CA');
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    const trust = snsTrustFromConfig({
      AWS_REGION: 'us-east-1',
      SNS_CERT_HOSTS: 'localhost:4566, devcloud.local',
      SNS_EXTRA_CA_FILE: join(dir, 'ca.pem'),
    });
    expect(trust).toEqual({ allowedHosts: ['localhost:4566', 'devcloud.local'], extraCaPem: ca.certPem });
  });

  it('names SNS_EXTRA_CA_FILE when it is missing or not PEM', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gas-trust-'));
    writeFileSync(join(dir, 'ca.pem'), 'hello');
    expect(() =>
      snsTrustFromConfig({ AWS_REGION: 'us-east-1', SNS_EXTRA_CA_FILE: join(dir, 'nope.pem') }),
    ).toThrow(new ConfigError([{ key: 'SNS_EXTRA_CA_FILE', problem: 'cannot be read (ENOENT)' }]));
    expect(() =>
      snsTrustFromConfig({ AWS_REGION: 'us-east-1', SNS_EXTRA_CA_FILE: join(dir, 'ca.pem') }),
    ).toThrow('Cannot start: SNS_EXTRA_CA_FILE is not a PEM certificate file.');
  });
});

describe('trusted URL rule', () => {
  const hosts = ['sns.us-east-1.amazonaws.com'];
  it('accepts the regional SNS host over https', () => {
    const url = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem';
    expect(assertTrustedUrl('SigningCertURL', url, hosts, { requirePemPath: true }).href).toBe(url);
  });

  it('refuses look-alike hosts, other ports, credentials and non-https schemes', () => {
    const refused = [
      'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem',
      'https://evil.example/sns.us-east-1.amazonaws.com/cert.pem',
      'https://sns.us-east-1.amazonaws.com:8443/cert.pem',
      'https://user:pw@sns.us-east-1.amazonaws.com/cert.pem',
      'http://sns.us-east-1.amazonaws.com/cert.pem',
      'file:///etc/passwd',
      'not a url',
    ];
    for (const url of refused) {
      expect(() => assertTrustedUrl('SigningCertURL', url, hosts), url).toThrow(
        /SigningCertURL .* refused: /,
      );
    }
  });
});
