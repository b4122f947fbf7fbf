/**
 * Errors the CLI reports as one line on stderr, with the exit code that goes with them:
 * 2 for a mistake in the command line (unknown command or option, bad value), 1 for a failure.
 */
export class CliError extends Error {
  readonly exitCode: number;
  /** A second line telling what to do about it. */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
  }
}

/** A mistake in the command line: exit code 2 (with a hint line, when one helps). */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, hint === undefined ? { exitCode: 2 } : { exitCode: 2, hint });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns a failed `fetch` to a hub into words: the common causes (nothing listening, unknown host,
 * no answer in time) say what to do; anything else keeps the system's message.
 */
export function unreachable(error: unknown, url: URL): CliError {
  const origin = url.origin;
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return new CliError(`the hub at ${origin} did not answer in time`);
  }
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = errorCode(cause) ?? errorCode(error);
  if (code === 'ECONNREFUSED') {
    return new CliError(`no hub is running at ${origin} (connection refused)`, {
      hint: 'start one with: herald serve, or pass --url to reach another hub',
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new CliError(`cannot resolve the host of ${origin}`, { hint: 'check --url' });
  }
  const detail =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return new CliError(`cannot reach the hub at ${origin}: ${detail}`);
}
