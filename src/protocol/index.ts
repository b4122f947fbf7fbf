export { checkRetry, type EncodableEvent, encodeEvent, encodeEventBytes } from './encode.js';
export { createParser, ParseError, type Parser, type ParserOptions, type ServerSentEvent } from './parse.js';
