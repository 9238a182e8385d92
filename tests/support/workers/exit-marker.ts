import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the misbehaving helper notes that it died once, for the database at `url`. */
export function exitMarkerFor(url: string): string {
  return join(tmpdir(), `wotc-helper-exited-${new Bun.CryptoHasher("sha256").update(url).digest("hex").slice(0, 16)}`);
}
