/**
 * Turns the SNS webhook config keys into plugin options, once at boot: the allowed hosts
 * (`SNS_CERT_HOSTS`, else `sns.<AWS_REGION>.amazonaws.com`) and the extra CA read from
 * `SNS_EXTRA_CA_FILE` (a missing or non-PEM file is a ConfigError naming the key).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, commaList } from '../config.ts';
import { defaultSnsHosts } from './trusted-urls.ts';

export function snsTrustFromConfig(config: {
  AWS_REGION: string;
  SNS_CERT_HOSTS?: string | undefined;
  SNS_EXTRA_CA_FILE?: string | undefined;
}): { allowedHosts: string[]; extraCaPem?: string } {
  const hosts = commaList(config.SNS_CERT_HOSTS);
  const allowedHosts = hosts.length ? hosts : defaultSnsHosts(config.AWS_REGION);
  if (!config.SNS_EXTRA_CA_FILE) return { allowedHosts };
  let pem: string;
  try {
    pem = readFileSync(config.SNS_EXTRA_CA_FILE, 'utf8');
  } catch (error) {
    throw new ConfigError([
      {
        key: 'SNS_EXTRA_CA_FILE',
        problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      },
    ]);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError([{ key: 'SNS_EXTRA_CA_FILE', problem: 'is not a PEM certificate file' }]);
  }
  return { allowedHosts, extraCaPem: pem };
}
