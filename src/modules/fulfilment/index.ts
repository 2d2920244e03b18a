/** The fulfilment module's public surface: the only file other modules may import. */
export { FulfilmentModule } from './fulfilment.module.js';
