/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * as a scraper applies it: names and label names by their grammar, label
 * values with their three escapes, float values (NaN, ±Inf), TYPE before the
 * family's first sample and at most once, a family's samples together, no
 * sample repeated. Throws naming the line that breaks a rule.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES = ["_bucket", "_sum", "_count", "_created"];

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const lines = text.split("\n");
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) return; // a plain comment
      const [, keyword, name, rest] = match as unknown as [string, "HELP" | "TYPE", string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name ${name}`);
      const family = familyOf(families, name);
      if (keyword === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (family.type !== "untyped" || family.samples.length > 0) throw new Error(`${where}: TYPE after samples or twice`);
        family.type = rest;
      } else {
        if (family.help !== undefined) throw new Error(`${where}: HELP twice`);
        family.help = rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      }
      return;
    }
    const sample = parseSample(line, where);
    const familyName = families.has(sample.name) ? sample.name : (SUFFIXES.map((s) => (sample.name.endsWith(s) ? sample.name.slice(0, -s.length) : "")).find((n) => n && families.has(n)) ?? sample.name);
    if (current !== familyName) {
      if (current) finished.add(current);
      if (finished.has(familyName)) throw new Error(`${where}: samples of ${familyName} are not together`);
      current = familyName;
    }
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: the same sample twice`);
    seen.add(key);
    familyOf(families, familyName).samples.push(sample);
  });
  return families;
}

function familyOf(families: Map<string, Family>, name: string): Family {
  let family = families.get(name);
  if (!family) {
    family = { name, type: "untyped", help: undefined, samples: [] };
    families.set(name, family);
  }
  return family;
}

function parseSample(line: string, where: string): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error(`${where}: no metric name`);
  const name = nameMatch[0];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const label = /^([^=\s]+)="/.exec(rest);
      if (!label || !LABEL_NAME.test(label[1]!)) throw new Error(`${where}: bad label`);
      rest = rest.slice(label[0].length);
      let value = "";
      for (;;) {
        const char = rest[0];
        if (char === undefined) throw new Error(`${where}: unterminated label value`);
        rest = rest.slice(1);
        if (char === '"') break;
        if (char === "\\") {
          const escaped = rest[0];
          rest = rest.slice(1);
          if (escaped === "n") value += "\n";
          else if (escaped === "\\" || escaped === '"') value += escaped;
          else throw new Error(`${where}: bad escape \\${escaped}`);
        } else value += char;
      }
      if (label[1]! in labels) throw new Error(`${where}: label ${label[1]} twice`);
      labels[label[1]!] = value;
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) throw new Error(`${where}: expected , or } after a label`);
    }
    rest = rest.slice(1);
  }
  const parts = rest.trim().split(/\s+/);
  if (!rest.startsWith(" ") || parts.length < 1 || parts.length > 2) throw new Error(`${where}: expected " value [timestamp]"`);
  const value = parseFloatValue(parts[0]!, where);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
  return { name, labels, value };
}

function parseFloatValue(text: string, where: string): number {
  if (text === "NaN") return Number.NaN;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${text}`);
  return Number(text);
}

/** The value of the sample of `name` with exactly these labels. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(sample.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => sample.labels[k] === labels[k])) return sample.value;
    }
  }
  return undefined;
}
