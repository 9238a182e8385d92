/**
 * Where the tracker's lines go. The whole server logs through one call shape,
 * `log(line)`; this module decides how a line looks: the readable
 * `HH:MM:SS line` by default, or (`--log-format json`, `server.logFormat`)
 * one JSON object per line written by pino, for log shippers.
 */
import pino from "pino";

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The call shape every server module takes. */
export type LogLine = (line: string) => void;

export interface LogSink {
  log: LogLine;
  /**
   * A multi-line report with its figures (the run summary): printed as it is
   * in text format, one object carrying the figures in json format.
   */
  report(text: string, fields: Record<string, unknown>): void;
}

/** Written to stdout, one line at a time. */
export const stdoutWriter = (text: string) => console.log(text);

export function createLogSink(format: LogFormat, write: (text: string) => void = stdoutWriter, now: () => Date = () => new Date()): LogSink {
  if (format === "text") {
    return {
      log: (line) => write(`${now().toISOString().slice(11, 19)} ${line}`),
      report: (text) => write(text),
    };
  }
  const logger = pino(
    {
      base: undefined,
      timestamp: () => `,"time":"${now().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    // pino writes each record as one string ending in a newline
    { write: (record: string) => write(record.endsWith("\n") ? record.slice(0, -1) : record) },
  );
  return {
    log: (line) => logger[levelOf(line)](line),
    report: (text, fields) => logger.info({ ...fields, text }, text.split("\n", 1)[0]),
  };
}

/** The server's lines say their severity in words; a log shipper wants it as a field. */
function levelOf(line: string): "info" | "warn" | "error" {
  if (/\bERROR\b/.test(line)) return "error";
  if (/\bWARNING\b/.test(line)) return "warn";
  return "info";
}
