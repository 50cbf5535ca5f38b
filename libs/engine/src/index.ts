export * from './model/json';
export * from './model/catalog';
export * from './model/runtime';
