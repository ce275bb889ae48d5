export {
  DEFAULT_CREDENTIALS,
  type Devcloud,
  type DevcloudLogger,
  type DevcloudOptions,
  jsonLineLogger,
  startDevcloud,
} from './devcloud.ts';
export type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from './edge/types.ts';
export {
  FAULTS_PREFIX,
  FaultInjector,
  type FaultRule,
  type FaultRuleInput,
  type S3FaultOperation,
} from './faults/faults.ts';
export {
  DEMO_PASSWORD,
  DEMO_USERS,
  type IdentityProviderClient,
  type IdentityProviderOptions,
  type RunningIdentityProvider,
  startIdentityProvider,
} from './oidc/index.ts';
export {
  applyPlan,
  type ProvisionClients,
  type ProvisionedResources,
  type ProvisionOptions,
  subscribeWebhooks,
} from './provision/apply.ts';
export { createProvisionClients, destroyProvisionClients } from './provision/clients.ts';
export { deployedName, type ProvisionPlan, planResources, type ServiceName } from './provision/plan.ts';
export type { Credentials } from './sigv4/sigv4.ts';
export { DEFAULT_DELIVERY_RETRY, type DeliveryRetryPolicy, SIGNING_CERT_PATH } from './sns/sns.ts';
export {
  gasDemoSeed,
  type RunningStripeStandIn,
  type StripeStandInOptions,
  startStripeStandIn,
} from './stripe/index.ts';
export {
  DEFAULT_TLS_HOSTS,
  ensureLocalCa,
  type IssuedCertificate,
  issueCertificate,
  type LocalCa,
} from './tls/local-ca.ts';
