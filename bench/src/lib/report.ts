/** One row of the printed table (and of results.json's `table`). */
export interface Row {
  scenario: string;
  metric: string;
  median: number | string | null;
  p99: number | string | null;
  baseline: number | string | null;
  ratio: number | null;
  target: string;
  /** true/false against the target; null where the row only reports. */
  pass: boolean | null;
}

const fmt = (value: number | string | null) =>
  value === null ? "–" : typeof value === "number" ? String(value) : value;

export function printTable(rows: Row[]): string {
  const header = ["scenario", "metric", "median", "p99", "baseline", "ratio", "target", "result"];
  const cells = rows.map((row) => [
    row.scenario,
    row.metric,
    fmt(row.median),
    fmt(row.p99),
    fmt(row.baseline),
    row.ratio === null ? "–" : `${row.ratio}×`,
    row.target,
    row.pass === null ? "–" : row.pass ? "pass" : "MISS",
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => `| ${values.map((value, i) => value.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}
