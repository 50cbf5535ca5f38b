export { main, USAGE } from './main';
