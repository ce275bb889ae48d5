/**
 * Builds the cold-storage backends a service needs from its config: the configured one for
 * new archives, and whichever backend an existing record names for its restore (records keep
 * `cold_storage_backend`, so switching COLD_STORAGE_BACKEND never strands older archives,
 * as long as RESULTS_VAULT stays set for vault archives).
 */
import { GlacierClient, type GlacierClientConfig } from '@aws-sdk/client-glacier';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ColdStorageBackend } from '@gas/contracts';
import type { ColdStorage } from './cold-storage.ts';
import { GlacierVaultStorage } from './glacier-vault.ts';
import { S3GlacierStorage } from './s3-glacier.ts';

export type ColdStorages = {
  /** The backend new archives go to (COLD_STORAGE_BACKEND). */
  current: ColdStorage;
  /** The backend of an existing archive; undefined when it is not configured (vault without RESULTS_VAULT). */
  of(backend: ColdStorageBackend): ColdStorage | undefined;
  vault: string | undefined;
  destroy(): void;
};

export function createColdStorages(options: {
  backend: ColdStorageBackend;
  s3: S3Client;
  /** The SDK client options the service's other clients use (region, endpoint, credentials). */
  clientConfig: GlacierClientConfig;
  vault?: string | undefined;
  /** cold-storage-events topic, named in vault retrieval jobs (thawer only). */
  notificationTopicArn?: string;
}): ColdStorages {
  const s3Glacier = new S3GlacierStorage(options.s3);
  const glacier = options.vault ? new GlacierClient(options.clientConfig) : undefined;
  const vault =
    glacier && options.vault
      ? new GlacierVaultStorage({
          glacier,
          s3: options.s3,
          vault: options.vault,
          ...(options.notificationTopicArn ? { notificationTopicArn: options.notificationTopicArn } : {}),
        })
      : undefined;
  const of = (backend: ColdStorageBackend) => (backend === 's3-glacier' ? s3Glacier : vault);
  const current = of(options.backend);
  if (!current) throw new Error('the glacier-vault backend needs RESULTS_VAULT');
  return { current, of, vault: options.vault, destroy: () => glacier?.destroy() };
}
