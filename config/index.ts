/** otpflow configuration: `loadConfig`, its types and errors. */
export {
  loadConfig,
  loadClientConfig,
  type ClientConfig,
  type LoadClientConfigOptions,
  DEFAULT_INFOBIP_BASE_URL,
  DEFAULT_API_PORT,
  DEFAULT_CODEC_PORT,
  type LoadConfigOptions,
  type RequiredSecret,
} from './load';
export { ConfigError, isConfigError, type ConfigProblem } from './errors';
export { validateApplications, readApplicationsFile } from './applications';
export type * from './types';
