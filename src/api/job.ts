/**
 * `aurion-plugin/job`: the job contract's building blocks (SPEC §8) — the proto3 JSON job request, the object a
 * plugin reads on stdin (its config inserted as written), and the container engines `run` prints commands for.
 * The operation itself, runPlugin, is at the package root.
 */
export type { ContainerEngine } from '../core/job/container.js';
export { type JobRequest, parseJobRequest, stdinObject } from '../core/job/request.js';
export type { JobResult } from '../core/job/result.js';
