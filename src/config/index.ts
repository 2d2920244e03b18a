export { APP_ROLES, ConfigError, loadConfig } from './app-config.js';
export type {
  AppConfig,
  AppRole,
  LogLevel,
  NodeEnv,
  OutboxConfig,
  PaymentGatewayConfig,
  QueueBackendKind,
  ReconciliationConfig,
  RedisNode,
} from './app-config.js';
export { APP_CONFIG, ConfigModule } from './config.module.js';
