/**
 * The Ed25519 key that signs client manifests, kept where the clients are
 * built and never on the running server: whoever holds it can make every
 * volunteer run their code, so a break-in on the server must not yield it.
 * `bun run build:client --create-key` makes it once (private key mode 600,
 * `<key>.pub` beside it); every build after that reads it. A missing key is
 * an error, not a reason to make a new one: clients trust one key for as
 * long as they live, and a new key strands all of them.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { chmod, mkdir, open, readFile, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { keyFingerprint } from "@wotc/schema/wire/client-manifest";

export interface SigningKey {
  /** SPKI DER, base64: what the build defines into the clients. */
  publicKey: string;
  keyId: string;
  path: string;
  /** Ed25519 signature of `text` (UTF-8), base64. */
  sign(text: string): string;
}

/** The key is missing or unusable; the build stops before compiling anything (a usage error, exit 2). */
export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SigningKeyError";
  }
}

/** Outside the checkout and the server's data directory. */
export function defaultSigningKeyPath(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "wotc-tracker", "client-signing-key.pem");
}

export function publicKeyPath(keyPath: string): string {
  return `${keyPath}.pub`;
}

export interface LoadKeyOptions {
  /** Create the key when the file does not exist (`--create-key`). */
  create?: boolean;
  log?: (line: string) => void;
  /** How the key is named in messages ("signing key", "legacy key"). */
  role?: string;
}

export async function loadSigningKey(path: string, options: LoadKeyOptions = {}): Promise<SigningKey> {
  const log = options.log ?? (() => {});
  const role = options.role ?? "signing key";
  const pem = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new SigningKeyError(`cannot read the ${role} ${path}: ${error.message}`);
  });
  let privateKey: KeyObject;
  if (pem === undefined) {
    if (!options.create) {
      throw new SigningKeyError(
        `no ${role} at ${path}; create it once with --create-key (clients built with it trust it for as long as they live, so keep it, and keep it off the server)`,
      );
    }
    privateKey = await createKeyFile(path);
    log(`created the ${role} ${path} (mode 600); keep it safe and off the server: clients built from now on trust only it`);
  } else {
    privateKey = parsePrivateKey(pem, path, role);
    const mode = (await stat(path)).mode & 0o777;
    if (process.platform !== "win32" && mode & 0o077) {
      await chmod(path, 0o600);
      log(`${path} was readable by others (mode ${mode.toString(8)}); set it to 600 (if others could read it, it may have leaked)`);
    }
  }
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  const pub = publicKeyPath(path);
  const written = await readFile(pub, "utf8").catch(() => "");
  if (written.trim() !== publicKey) await writeFile(pub, `${publicKey}\n`).catch(() => {});
  return {
    publicKey,
    keyId: keyFingerprint(publicKey),
    path,
    sign: (text) => sign(null, Buffer.from(text, "utf8"), privateKey).toString("base64"),
  };
}

function parsePrivateKey(pem: string, path: string, role: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new SigningKeyError(`the ${role} ${path} is not a PEM private key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ed25519") throw new SigningKeyError(`the ${role} ${path} holds a ${key.asymmetricKeyType} key; expected ed25519`);
  return key;
}

/** `wx`: two builds creating the key at once must not each write a different one. */
async function createKeyFile(path: string): Promise<KeyObject> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  let handle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return parsePrivateKey(await readFile(path, "utf8"), path, "signing key");
    throw new SigningKeyError(`cannot create the signing key ${path}: ${(error as Error).message}`);
  }
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return privateKey;
}
