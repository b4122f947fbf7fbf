import type { Grant } from '../hub/authorizer.js';
import type { Hub } from '../hub/hub.js';
import type { Operation } from '../hub/operations.js';
import type { CorsPolicy } from './cors.js';
import { findCredential } from './credentials.js';
import type { HttpReply, HttpRequest } from './exchange.js';
import { refuse } from './exchange.js';

/** A request that passed its operation's steps, with the caller's verified grant (undefined: anonymous). */
export interface Admitted {
  readonly request: HttpRequest;
  readonly grant: Grant | undefined;
}

/**
 * One endpoint of the HTTP API: where it is, which methods it takes, the hub operation it runs
 * (none for the hub's public, read-only pages: health, metrics, the monitor's code), and how the
 * operation's request and answer translate to HTTP. It declares; it never runs a step itself.
 */
export interface Endpoint {
  readonly path: string;
  readonly methods: readonly string[];
  readonly operation: Operation | undefined;
  readonly serve: (admitted: Admitted) => Promise<HttpReply> | HttpReply;
}

/** What every endpoint's steps read: the hub, its origin policy, the auth cookie's name. */
export interface PipelinePolicy {
  readonly hub: Hub;
  readonly cors: CorsPolicy;
  readonly cookie: string;
}

/**
 * Runs a request through its endpoint's steps, in order: the method; the origin policy (a page on
 * an origin the hub does not allow is refused, 403); the credential, from the sources the
 * operation takes, in its order; verification and budgets (the hub's `admit`); then the
 * operation. A refusal at any step is a HeraldError, which the router turns into a status once.
 */
export async function runPipeline(
  endpoint: Endpoint,
  request: HttpRequest,
  policy: PipelinePolicy,
): Promise<HttpReply> {
  if (!endpoint.methods.includes(request.method)) return methodNotAllowed(endpoint.methods);
  const operation = endpoint.operation;
  if (operation === undefined) return endpoint.serve({ request, grant: undefined });
  policy.cors.checkOrigin(request, operation.verb);
  const credential = findCredential(request, operation.sources, policy.cookie);
  const grant = await policy.hub.admit(operation, credential, request.client);
  return endpoint.serve({ request, grant });
}

function methodNotAllowed(methods: readonly string[]): HttpReply {
  const allow = methods.filter((m) => m !== 'HEAD').join(', ');
  return refuse(405, `method not allowed here; use ${allow}`, { allow });
}
