export {
  DEFAULT_CREDENTIALS,
  type Devcloud,
  type DevcloudLogger,
  type DevcloudOptions,
  jsonLineLogger,
  startDevcloud,
} from './devcloud.ts';
export type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from './edge/types.ts';
export type { Credentials } from './sigv4/sigv4.ts';
export type { DeliveryRetryPolicy } from './sns/sns.ts';
export { ensureLocalCa, type IssuedCertificate, issueCertificate, type LocalCa } from './tls/local-ca.ts';
