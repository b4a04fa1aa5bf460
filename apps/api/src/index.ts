export { buildApp } from './app.js';
export { apiConfigFromEnv, ApiConfigSchema, type ApiConfig } from './api-config.js';
export type { AppDeps } from './app-deps.js';
export { ApiError, API_ERRORS, type ApiErrorCode } from './api-errors.js';
export { startApi, loadTokens, type RunningApi } from './server.js';
export { DEFAULT_SIGN_IN_LIMITS, type SignInLimits } from './session/sign-in-limit.js';
