/**
 * Bun flags the client always runs with: compiled into the executable
 * (client/build.ts, `compile.execArgv`) and added when the client restarts
 * itself from source (schema/allocator.ts), so the benches measure what
 * volunteers run.
 *
 * --smol: JavaScriptCore collects garbage sooner and keeps a smaller heap. A
 * client at 20 requests/s parses a WG answer of ~100 players every 50 ms and
 * drops it at once. bench client-rate, one client for 600 s: RSS peak 80 MB
 * without it, 74 MB with it (mean 69 and 68), at 1.44% and 1.72% of a core
 * (both under the 2% target; the bare loop's own figure moved as much
 * between the two runs).
 */
export const CLIENT_RUNTIME_FLAGS: readonly string[] = ["--smol"];
