export { EntriesPostedV1, EntriesPostedV1Payload } from './entries-posted.v1.js';
