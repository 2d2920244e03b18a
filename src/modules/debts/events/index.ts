export { CitizenClearedV1, CitizenClearedV1Payload } from './citizen-cleared.v1.js';
export { DebtRegisteredV1, DebtRegisteredV1Payload } from './debt-registered.v1.js';
export { DebtSettledV1, DebtSettledV1Payload } from './debt-settled.v1.js';
