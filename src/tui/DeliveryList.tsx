import { Box, Text } from "ink";
import { memo, useMemo } from "react";
import type { DeliverySummary } from "../store/browse.js";
import { type Column, cellText, headerText, listColumns } from "./columns.js";
import { useTheme } from "./theme.js";

export interface DeliveryListProps {
  /** Only the visible rows: the caller pages, this renders. */
  rows: readonly DeliverySummary[];
  selectedId: string | null;
  width: number;
  /** Lines for rows (the header line is extra). */
  height: number;
  now: number;
  /** The "all" tab shows each row's status. */
  showStatus: boolean;
  /** What to say when there are no rows. */
  emptyMessage: string;
}

/** The delivery table: a header and one line per visible row, columns fitted to the width. */
export function DeliveryList({
  rows,
  selectedId,
  width,
  height,
  now,
  showStatus,
  emptyMessage,
}: DeliveryListProps) {
  const theme = useTheme();
  const columns = useMemo(() => listColumns(width, { showStatus }), [width, showStatus]);
  return (
    <Box flexDirection="column" width={width} height={height + 1}>
      <Text bold wrap="truncate">
        {"  "}
        {columns.map(headerText).join(" ")}
      </Text>
      {rows.length === 0 ? (
        <Box paddingLeft={2} paddingTop={1}>
          <Text dimColor={theme.dim}>{emptyMessage}</Text>
        </Box>
      ) : (
        rows.map((row) => (
          <Row key={row.id} row={row} columns={columns} selected={row.id === selectedId} now={now} />
        ))
      )}
    </Box>
  );
}

interface RowProps {
  row: DeliverySummary;
  columns: Column[];
  selected: boolean;
  now: number;
}

/**
 * One line, as few Ink nodes as possible (Ink's cost grows with nodes and characters): the
 * cells before and after the coloured result cell are each one string.
 */
const Row = memo(function Row({ row, columns, selected, now }: RowProps) {
  const theme = useTheme();
  const color = theme.status[row.status];
  const parts: string[] = [selected ? "›" : " "];
  let colored = "";
  let after = "";
  for (const column of columns) {
    const text = cellText(column, row, now);
    if (color !== undefined && (column.key === "result" || column.key === "status")) colored += ` ${text}`;
    else if (colored !== "") after += ` ${text}`;
    else parts.push(text);
  }
  const before = parts.join(" ");
  return (
    <Text wrap="truncate" inverse={selected} bold={selected}>
      {before}
      {colored !== "" ? <Text color={color}>{colored}</Text> : null}
      {after}
    </Text>
  );
});
