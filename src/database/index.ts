export { DatabaseModule } from './database.module.js';
export { databaseName, dropTestDatabase, ensureDatabase } from './ensure-database.js';
