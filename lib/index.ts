export * from './profile';
export * from './database/tuned-parameter-group';
export * from './database/postgres-database';
export * from './data-platform';
