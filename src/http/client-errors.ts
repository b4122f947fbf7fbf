import type { Duplex } from 'node:stream';
import type { HttpCounters, HubLogger } from './http-counters.js';

/** Node's parser and timeout errors, as a status and a reason in plain words. */
function answerFor(code: string | undefined): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'the request line and headers are too large (the URL, a header, or too many headers)'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'the request took too long to arrive'];
    case 'HPE_INVALID_METHOD':
      return [400, 'malformed request: unknown HTTP method'];
    case 'HPE_INVALID_URL':
      return [400, 'malformed request: the URL is not valid'];
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return [400, 'malformed request: the Content-Length header is not valid'];
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return [400, 'malformed request: the chunked body is not valid'];
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return [400, 'malformed request: a header line is not valid HTTP'];
    default:
      return [400, 'malformed HTTP request'];
  }
}

const REASON_PHRASE: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * A `clientError` listener for node:http servers: a malformed request gets its status and a
 * one-line reason (not Node's empty answer), the connection is closed, and nothing is logged as an
 * error: a broken client is not a hub fault. `hub.listen` installs it; attach it to a server of your
 * own with `server.on('clientError', hub.clientErrorHandler)`.
 */
export function clientErrorHandler(counters: HttpCounters, logger: HubLogger) {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    // The client went away mid-request (the request handler counts an aborted upload): nothing to answer.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    counters.clientErrors++;
    logger.debug({ code: error.code }, 'malformed request refused');
    const [status, reason] = answerFor(error.code);
    const body = `${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${REASON_PHRASE[status]}\r\n` +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  };
}
