export * from './auth/index.js';
export * from './context/index.js';
export { configureHttp, CORRELATION_HEADER } from './http/configure-http.js';
export { ProblemException, ValidationProblem, problemType } from './http/problem.js';
export type { FieldError, ProblemDocument } from './http/problem.js';
export { loggingModule } from './logging/logging.module.js';
export { PlatformModule } from './platform.module.js';
