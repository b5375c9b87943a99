export * from './profile';
export * from './database/tuned-parameter-group';
export * from './database/postgres-database';
export * from './data-platform';
export * from './database/read-replicas';
export * from './database/connection-pool';
export * from './database/database-endpoints';
