/** An error with the HTTP status that answers it and a one-line reason for the client. */
export class HeraldError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HeraldError';
    this.status = status;
    this.headers = headers;
  }
}
