import { Box, Text } from "ink";
import type { BrowseCounts, BrowseStatus } from "../store/browse.js";
import { browseStatuses } from "../store/browse.js";
import { thousands } from "./format.js";
import { useTheme } from "./theme.js";

const titles: Record<BrowseStatus, string> = {
  dead: "Dead",
  pending: "Pending",
  in_flight: "In flight",
  succeeded: "Succeeded",
  all: "All",
};

export interface StatusTabsProps {
  active: BrowseStatus;
  counts: BrowseCounts;
  width: number;
}

/** One line of tabs with counts; the active one is bracketed (readable without colour). */
export function StatusTabs({ active, counts, width }: StatusTabsProps) {
  const theme = useTheme();
  // Narrow terminals drop the words "In flight"/"Succeeded" down to their initials' worth.
  const full = browseStatuses.map((status) => `${titles[status]} ${thousands(counts[status])}`);
  const compact = full.join("   ").length + 2 > width;
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate">
        {browseStatuses.map((status, index) => {
          const title = compact ? titles[status].slice(0, 4).trimEnd() : titles[status];
          const text = `${title} ${thousands(counts[status])}`;
          const selected = status === active;
          return (
            <Text key={status}>
              {index > 0 ? " " : ""}
              <Text
                bold={selected}
                inverse={selected && theme.accent !== undefined}
                color={status === "all" ? undefined : theme.status[status]}
              >
                {selected ? `[${text}]` : compact ? text : ` ${text} `}
              </Text>
            </Text>
          );
        })}
      </Text>
    </Box>
  );
}
