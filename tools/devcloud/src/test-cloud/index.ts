export {
  type ChooseOptions,
  chooseTestCloud,
  LOCALSTACK_GAPS,
  TEST_CLOUD_MODES,
  type TestCloudBackend,
  type TestCloudCapability,
  TestCloudConfigError,
  type TestCloudDecision,
  type TestCloudMode,
  testCloudMode,
} from './choose.ts';
export {
  type DockerProbeResult,
  dockerEndpointCandidates,
  pingDockerEngine,
  probeDockerEngine,
} from './docker-engine.ts';
export {
  LOCALSTACK_IMAGE,
  LOCALSTACK_SERVICES,
  localStackEnvironment,
  localStackMailbox,
  type SentEmail,
} from './localstack.ts';
export { startTestCloud, type TestCloud, type TestCloudOptions } from './test-cloud.ts';
