export { checkRetry, type EncodableEvent, encodeEvent, encodeEventBytes } from './encode.js';
