/**
 * The server's Ed25519 key pair for signing client manifests, kept in the
 * data directory: created on first start, the private key readable by its
 * owner only. The public key file is what `bun run build:client` builds into
 * the clients, so it must stay the same for as long as those clients live.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { chmod, mkdir, open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { keyFingerprint } from "@wotc/schema/wire/client-manifest";

export const PRIVATE_KEY_FILE = "client-signing-key.pem";
/** One line: the public key as SPKI DER in base64. */
export const PUBLIC_KEY_FILE = "client-signing-key.pub";

export interface SigningKey {
  /** SPKI DER, base64. */
  publicKey: string;
  keyId: string;
  privateKeyPath: string;
  publicKeyPath: string;
  /** Ed25519 signature of `text` (UTF-8), base64. */
  sign(text: string): string;
}

export async function loadOrCreateSigningKey(dataDir: string, log: (line: string) => void = () => {}): Promise<SigningKey> {
  const privateKeyPath = join(dataDir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dataDir, PUBLIC_KEY_FILE);
  let privateKey: KeyObject;
  const pem = await readFile(privateKeyPath, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new Error(`cannot read the client signing key ${privateKeyPath}: ${error.message}`);
  });
  if (pem === undefined) {
    privateKey = await createKeyFile(dataDir, privateKeyPath);
    log(`created the client signing key ${privateKeyPath}; clients built from now on trust ${publicKeyPath}`);
  } else {
    try {
      privateKey = createPrivateKey(pem);
    } catch (error) {
      throw new Error(`${privateKeyPath} is not a PEM private key: ${(error as Error).message}`);
    }
    if (privateKey.asymmetricKeyType !== "ed25519") {
      throw new Error(`${privateKeyPath} holds a ${privateKey.asymmetricKeyType} key; expected ed25519`);
    }
    const mode = (await stat(privateKeyPath)).mode & 0o777;
    if (process.platform !== "win32" && mode & 0o077) {
      await chmod(privateKeyPath, 0o600);
      log(`${privateKeyPath} was readable by others (mode ${mode.toString(8)}); set it to 600`);
    }
  }
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("base64");
  // Rewritten when missing or different, so the build script always reads the key the server signs with
  const written = await readFile(publicKeyPath, "utf8").catch(() => "");
  if (written.trim() !== publicKey) await writeFile(publicKeyPath, `${publicKey}\n`);
  return {
    publicKey,
    keyId: keyFingerprint(publicKey),
    privateKeyPath,
    publicKeyPath,
    sign: (text) => sign(null, Buffer.from(text, "utf8"), privateKey).toString("base64"),
  };
}

/** `wx`: two servers starting at once must not each write a different key. */
async function createKeyFile(dataDir: string, path: string): Promise<KeyObject> {
  await mkdir(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  let handle;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return createPrivateKey(await readFile(path, "utf8"));
    throw new Error(`cannot create the client signing key ${path}: ${(error as Error).message}`);
  }
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return privateKey;
}

/** Reads the public key file the server wrote (for the build script). */
export async function readPublicKeyFile(path: string): Promise<string> {
  const text = (await readFile(path, "utf8")).trim();
  try {
    const key = createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`a ${key.asymmetricKeyType} key`);
  } catch (error) {
    throw new Error(`${path} is not an Ed25519 public key in base64 SPKI: ${(error as Error).message}`);
  }
  return text;
}
