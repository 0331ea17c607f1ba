/**
 * Prometheus text exposition format 0.0.4: one HELP and one TYPE line per family, then its
 * samples. Pure, so `/metrics` and its tests share it.
 */

export const expositionContentType = "text/plain; version=0.0.4; charset=utf-8";

export interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: readonly Sample[];
}

/** The families as exposition text, each line ending in a newline (the last one too). */
export function exposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      lines.push(`${family.name}${labelText(sample.labels)} ${valueText(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.entries(labels ?? {}).map(([name, value]) => `${name}="${escapeLabel(value)}"`);
  return pairs.length > 0 ? `{${pairs.join(",")}}` : "";
}

/** HELP text escapes backslash and line feed; label values also the double quote. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function escapeLabel(text: string): string {
  return escapeHelp(text).replace(/"/g, '\\"');
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
