import stringWidth from "string-width";

export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: "left" | "right";
}

export interface TableOptions {
  /** Paints the header row (bold on a terminal). */
  header?: (text: string) => string;
  /** Spaces between columns. */
  gap?: number;
}

/**
 * Rows under a header, each column as wide as its widest cell on screen: string-width counts CJK
 * and emoji as two columns and ANSI colour as none, so coloured and wide cells still line up.
 * Cells are shown as given: escape text from the log (`escapeControl`) before it gets here. No
 * line ends in padding.
 */
export function table(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string[] {
  const gap = " ".repeat(options.gap ?? 2);
  // A loop, not Math.max(...cells): spreading a few hundred thousand arguments overflows the stack.
  const widths = columns.map((column) => stringWidth(column.header));
  for (const cells of rows) {
    for (let i = 0; i < columns.length; i++) {
      widths[i] = Math.max(widths[i] as number, stringWidth(cells[i] ?? ""));
    }
  }
  const format = (cells: readonly string[]) =>
    columns
      .map((column, i) => pad(cells[i] ?? "", widths[i] as number, column.align ?? "left"))
      .join(gap)
      .trimEnd();
  const paint = options.header ?? ((text: string) => text);
  return [paint(format(columns.map((column) => column.header))), ...rows.map(format)];
}

function pad(cell: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - stringWidth(cell)));
  return align === "right" ? fill + cell : cell + fill;
}
