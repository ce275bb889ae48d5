/**
 * The contract between devcloud's edge (one HTTP endpoint, default 127.0.0.1:4566, that
 * verifies SigV4 and routes by the signed service name, like LocalStack) and the emulated
 * APIs behind it. Each API lives in `tools/devcloud/src/<api>/` and exports a factory
 * `create<Api>Service(ctx: DevcloudContext): EmulatedService`.
 */
import type { Readable } from 'node:stream';

export interface EdgeRequest {
  method: string;
  /** Path and query string exactly as received, e.g. `/bucket/key?uploads`. */
  url: string;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The whole body (devcloud is a test double: bodies are small enough to buffer). */
  body: Buffer;
  /** SigV4 service name from the credential scope (`s3`, `sqs`, `sns`, `dynamodb`, `ses`, `glacier`), or the API chosen by the route for unsigned requests (presigned S3 URLs, browser POST uploads, mailbox pages). */
  service: string;
  region: string;
  /** Access key id of a verified signature; null for requests authorised another way (presigned URL, POST policy) or public pages. */
  accessKeyId: string | null;
  /** Aborted when the client goes away before the answer (a long poll must then take nothing). */
  signal?: AbortSignal;
}

export interface EdgeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
}

export interface EmulatedService {
  /** SigV4 service names this API answers. */
  readonly signingNames: string[];
  handle(req: EdgeRequest): Promise<EdgeResponse>;
  /** Called on shutdown: flush state to the data directory, stop timers. */
  close?(): Promise<void>;
}

/** Shared by every emulated API. */
export interface DevcloudContext {
  /** Folder where this API keeps its state (one subfolder per API); survives restarts. */
  dataDir: string;
  region: string;
  accountId: string;
  /** Base URL of the edge, e.g. http://127.0.0.1:4566 (for URLs handed to clients). */
  edgeUrl: string;
  /** Publish to an SNS topic of this devcloud (S3 event notifications, Glacier job completion). */
  publishToSns(topicArn: string, message: string, subject?: string): Promise<void>;
  log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
    error(obj: object, msg?: string): void;
  };
}
