/**
 * `bun run bench NAME [args]` runs bench/NAME.ts, whose exported
 * `main(args)` prints its figures and, last, its ratio.
 */
import { readdirSync } from "node:fs";

const [name, ...args] = process.argv.slice(2);
const available = readdirSync(import.meta.dir)
  .filter((f) => f.endsWith(".ts") && f !== "main.ts")
  .map((f) => f.slice(0, -3))
  .sort();
if (!name || !available.includes(name)) {
  console.error(`usage: bun run bench <${available.join("|")}> [args]${name ? `\nno benchmark named ${JSON.stringify(name)}` : ""}`);
  process.exit(2);
}
const bench: { main?: (args: string[]) => Promise<void> } = await import(`./${name}.ts`);
if (typeof bench.main !== "function") {
  console.error(`bench/${name}.ts exports no main(args)`);
  process.exit(2);
}
await bench.main(args);
