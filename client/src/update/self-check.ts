/**
 * Runs a downloaded build once, before it replaces anything, and asks it what
 * it is. It must start, be the version and sequence the manifest promised,
 * for this target, and trust the same signing key: a build trusting another
 * key could never verify the next manifest and would strand the volunteer on
 * it. Only a build whose manifest was verified (signature, sequence,
 * version) and whose bytes match its signed sha256 gets this far: nothing
 * downloaded runs before that.
 */
import { SELF_CHECK_ENV, SELF_CHECK_FORMAT, type SelfDescription } from "./build-info";
import { UpdateRefused } from "./errors";

export interface CandidateExpectation {
  version: string;
  target: string;
  keyId: string;
  sequence: number;
}

export type CheckCandidate = (path: string, expected: CandidateExpectation) => Promise<void>;

export const checkCandidate: CheckCandidate = async (path, expected) => {
  let child;
  try {
    child = Bun.spawn([path], {
      env: { ...childEnvironment(), [SELF_CHECK_ENV]: SELF_CHECK_FORMAT },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      timeout: 20_000,
    });
  } catch (error) {
    throw new UpdateRefused(`the new build does not start: ${(error as Error).message}`);
  }
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) {
    const why = child.signalCode ? `killed by ${child.signalCode}` : `exit code ${code}`;
    throw new UpdateRefused(`the new build does not start (${why})${stderr.trim() ? `: ${stderr.trim().slice(0, 300)}` : ""}`);
  }
  let self: Partial<SelfDescription>;
  try {
    self = JSON.parse(stdout.trim().split("\n").pop() ?? "");
  } catch {
    throw new UpdateRefused(`the new build does not describe itself (it printed ${JSON.stringify(stdout.slice(0, 200))})`);
  }
  if (self.version !== expected.version) throw new UpdateRefused(`the new build says it is version ${self.version}, the manifest says ${expected.version}`);
  if (self.target !== expected.target) throw new UpdateRefused(`the new build is for ${self.target}, this machine runs ${expected.target}`);
  if (self.keyId !== expected.keyId) {
    throw new UpdateRefused(`the new build trusts key ${self.keyId}, not the key ${expected.keyId} that signs this server's manifests; it could never update again`);
  }
  if (self.sequence !== expected.sequence) throw new UpdateRefused(`the new build says it is sequence ${self.sequence}, the manifest says ${expected.sequence}`);
};

/** Our environment minus what belongs to this process only (its IPC channel, its own update markers). */
export function childEnvironment(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of ["NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", SELF_CHECK_ENV, "WOTC_UPDATED_FROM"]) delete env[name];
  return env;
}
