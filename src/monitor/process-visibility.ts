import { isLoopback } from '../http/loopback.js';

/** What decides whether the monitor's figures list the host's processes. */
export interface ProcessVisibility {
  /** The `processes` option: true lists them, false never; undefined leaves it to the rule below. */
  processes: boolean | undefined;
  /** The `auth` option: the figures are private, for holders of a monitor token only. */
  auth: boolean;
  /** The hosts `hub.listen` listens on; empty for a hub mounted on a server of the user's own. */
  hosts: readonly string[];
}

/**
 * Whether snapshots list the host's processes (names, pids, memory): the one place this is decided.
 * Unless the option says, only private figures (`auth`) or a hub known to be reachable from this
 * machine alone (every `hub.listen` on loopback) list them: anonymous viewers of a hub on
 * `0.0.0.0` are strangers, and a hub on a server of its user's own cannot know where it listens.
 */
export function listsProcesses(visibility: ProcessVisibility): boolean {
  if (visibility.processes !== undefined) return visibility.processes;
  if (visibility.auth) return true;
  return visibility.hosts.length > 0 && visibility.hosts.every(isLoopback);
}
