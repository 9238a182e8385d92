/**
 * Checks a signed manifest against the public key built into this client and
 * reads it as format 2. Whether it is newer than this build is the
 * updater's next question (updater.ts).
 */
import { createPublicKey, verify } from "node:crypto";
import * as v from "valibot";
import { UpdateRefused } from "./errors";
import { ClientManifest, keyFingerprint, SignedManifest } from "@wotc/schema/wire/client-manifest";

/** `publicKey`: SPKI DER, base64 (what the build script defines). */
export function verifyManifest(body: unknown, publicKey: string): ClientManifest {
  const envelope = v.safeParse(SignedManifest, body);
  if (!envelope.success) throw new UpdateRefused(`the manifest is malformed (${describe(envelope.issues)})`);
  const { manifest, signature, keyId } = envelope.output;
  const key = createPublicKey({ key: Buffer.from(publicKey, "base64"), format: "der", type: "spki" });
  let valid = false;
  try {
    valid = verify(null, Buffer.from(manifest, "utf8"), key, Buffer.from(signature, "base64"));
  } catch {
    valid = false;
  }
  if (!valid) {
    const ours = keyFingerprint(publicKey);
    const why = keyId === ours ? "the signature is wrong (tampered manifest?)" : `it is signed by key ${keyId}, this client trusts key ${ours}`;
    throw new UpdateRefused(`the manifest signature does not verify: ${why}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(manifest);
  } catch {
    throw new UpdateRefused("the signed manifest is not JSON");
  }
  const parsed = v.safeParse(ClientManifest, json);
  if (!parsed.success) {
    const legacy = json !== null && typeof json === "object" && !("format" in json);
    throw new UpdateRefused(legacy ? "the signed manifest is in the legacy format, not format 2" : `the signed manifest is malformed (${describe(parsed.issues)})`);
  }
  return parsed.output;
}

function describe(issues: [v.BaseIssue<unknown>, ...v.BaseIssue<unknown>[]]): string {
  const issue = issues[0];
  const path = v.getDotPath(issue);
  return `${path ? `${path}: ` : ""}${issue.message}`;
}
