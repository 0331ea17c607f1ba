import { Box, Text, useApp } from "ink";
import { type ReactNode, useState } from "react";
import { type BrowseStatus, browseStatuses } from "../store/browse.js";
import { type Answer, isPending } from "../store/ports/browse.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { DeliveryDetail, detailBodyHeight } from "./DeliveryDetail.js";
import { DeliveryList } from "./DeliveryList.js";
import { FilterBar } from "./FilterBar.js";
import { Footer, type FooterProps } from "./Footer.js";
import { HelpOverlay } from "./HelpOverlay.js";
import type { ActionResult, InspectStore } from "./inspect-store.js";
import { actionFor, type Mode } from "./keys.js";
import { emptyMessage, statusLine } from "./messages.js";
import { StatusTabs } from "./StatusTabs.js";
import { colorTheme, plainTheme, ThemeContext } from "./theme.js";
import { useDeliveries } from "./use-deliveries.js";
import { useDetail } from "./use-detail.js";
import { useKeyHandler } from "./use-key-handler.js";
import { useRetries } from "./use-retries.js";
import { useTerminalSize } from "./use-terminal-size.js";

export interface AppProps {
  store: InspectStore;
  initialStatus?: BrowseStatus;
  initialFilter?: string;
  now?: () => number;
  /** How often to look for changes by other processes. */
  pollMs?: number;
  color?: boolean;
  /** Fixed size instead of the terminal's (tests, benches). */
  columns?: number;
  rows?: number;
  /** Called on q; by default the Ink app exits. */
  onQuit?: () => void;
  /** Called on Ctrl+C when Ink is told not to exit on it itself; defaults to `onQuit`. */
  onInterrupt?: () => void;
}

export const minColumns = 40;
export const minRows = 12;

interface Confirm {
  action: "purge";
  id: string;
  from: "list" | "detail";
}

/** Tab, filter line, list header, and the two footer lines around the list rows. */
const chromeLines = 5;

/**
 * `hookctl inspect`: status tabs over a windowed delivery list, a detail screen, retry now (sent
 * in the background; keys keep working), requeue, and purge behind a y-only confirmation. All
 * state that touches the log lives in `useDeliveries`; all writes go through the store.
 */
export function App(props: AppProps) {
  const { store, pollMs = 1000 } = props;
  const [clock] = useState(() => props.now ?? Date.now);
  const { exit } = useApp();
  const size = useTerminalSize({ columns: props.columns, rows: props.rows });
  // One line short of the terminal: a frame as tall as the screen makes Ink clear and repaint it.
  const usable = size.rows - 1;
  const tooSmall = size.columns < minColumns || usable < minRows - 1;
  const [mode, setMode] = useState<Mode>("list");
  const [helpFrom, setHelpFrom] = useState<"list" | "detail">("list");
  const [confirm, setConfirm] = useState<Confirm>();
  const [openId, setOpenId] = useState<string | null>(null);
  const [filterBefore, setFilterBefore] = useState("");
  const [message, setMessage] = useState<FooterProps["message"]>();
  const listHeight = Math.max(1, usable - chromeLines);
  const bodyHeight = Math.max(1, usable - 2);
  const deliveries = useDeliveries(store, {
    status: props.initialStatus ?? "dead",
    filter: props.initialFilter,
    height: listHeight,
    pollMs,
    now: clock,
  });
  const { view, now } = deliveries;
  const detail = useDetail(store, openId, view.version, {
    width: size.columns,
    height: bodyHeight,
    now,
  });
  const selectedId = view.window.selectedId;
  const filter = view.query.filter ?? "";
  const quit = props.onQuit ?? (() => exit());

  const ask = (action: Confirm["action"], id: string | null, from: Confirm["from"]) => {
    if (id === null) return;
    setConfirm({ action, id, from });
    setMode("confirm");
  };
  // A write's result, now (SQLite) or when it comes (PostgreSQL), then the list re-read.
  const report = (answer: Answer<ActionResult>, after?: (result: ActionResult) => void) => {
    const done = (result: ActionResult) => {
      setMessage({ text: result.message, tone: result.ok ? "ok" : "error" });
      deliveries.refresh();
      after?.(result);
    };
    if (!isPending(answer)) return done(answer);
    answer.then(done, (error: unknown) =>
      done({ ok: false, message: `failed: ${error instanceof Error ? error.message : String(error)}` }),
    );
  };
  const finishConfirm = (run: boolean) => {
    if (!confirm) return;
    const { from } = confirm;
    if (run) {
      setMode(from);
      report(store.purge(confirm.id), (result) => {
        if (result.ok) setMode((current) => (current === "detail" ? "list" : current));
      });
    } else {
      setMessage({ text: `${confirm.action} cancelled; nothing changed`, tone: "info" });
      setMode(from);
    }
    setConfirm(undefined);
  };
  const requeue = (id: string | null) => {
    if (id !== null) report(store.requeue(id));
  };
  const retries = useRetries(store, (result) => {
    if (result) setMessage({ text: result.message, tone: result.ok ? "ok" : "error" });
    deliveries.refresh();
  });
  const switchTab = (step: number) => {
    const index = browseStatuses.indexOf(view.query.status);
    const next = browseStatuses[
      (index + step + browseStatuses.length) % browseStatuses.length
    ] as BrowseStatus;
    deliveries.setStatus(next);
  };

  useKeyHandler((input, key) => {
    if (key.ctrl && input === "c") return (props.onInterrupt ?? quit)();
    // The dialog and the filter bar read their own keys.
    if (mode === "confirm" || mode === "filter") return;
    if (tooSmall) {
      if (input === "q") quit();
      return;
    }
    const action = actionFor(mode, input, key);
    if (action === undefined) return;
    setMessage(undefined);
    if (action === "quit") return quit();
    if (action === "help") {
      if (mode === "help") return setMode(helpFrom);
      setHelpFrom(mode === "detail" ? "detail" : "list");
      return setMode("help");
    }
    if (mode === "help") return action === "back" ? setMode(helpFrom) : undefined;
    const target = mode === "detail" ? openId : selectedId;
    if (action === "retry") return retries.retry(target);
    if (action === "requeue") return requeue(target);
    if (action === "purge") return ask(action, target, mode === "detail" ? "detail" : "list");
    if (mode === "detail") {
      const page = detailBodyHeight(bodyHeight) - 1;
      const scrolls: Partial<Record<typeof action, () => void>> = {
        up: () => detail.scrollBy(-1),
        down: () => detail.scrollBy(1),
        pageUp: () => detail.scrollBy(-page),
        pageDown: () => detail.scrollBy(page),
        top: () => detail.scrollTo(0),
        bottom: () => detail.scrollTo(detail.maxScroll),
        back: () => setMode("list"),
      };
      return scrolls[action]?.();
    }
    switch (action) {
      case "up":
      case "down":
      case "pageUp":
      case "pageDown":
      case "top":
      case "bottom":
        return deliveries.move(action);
      case "open":
        if (selectedId === null) return;
        setOpenId(selectedId);
        return setMode("detail");
      case "nextTab":
        return switchTab(1);
      case "prevTab":
        return switchTab(-1);
      case "filter":
        setFilterBefore(filter);
        return setMode("filter");
      case "clearFilter":
        return deliveries.setFilter("");
    }
  });

  if (tooSmall) {
    return (
      <Text>
        Terminal too small ({size.columns}×{size.rows}); inspect needs {minColumns}×{minRows}. Enlarge it or
        press q.
      </Text>
    );
  }

  const theme = props.color === false ? plainTheme : colorTheme;
  const screen =
    mode === "confirm" ? confirm?.from : mode === "help" ? "help" : mode === "filter" ? "list" : mode;
  const dialog = (height: number) =>
    confirm ? (
      <Box height={height} paddingTop={1} paddingLeft={2} alignItems="flex-start">
        <ConfirmDialog
          title={`Purge ${confirm.id}?`}
          lines={["It is deleted with all its attempts. This cannot be undone."]}
          width={size.columns - 4}
          onConfirm={() => finishConfirm(true)}
          onCancel={() => finishConfirm(false)}
        />
      </Box>
    ) : null;
  let body: ReactNode;
  if (screen === "help") body = <HelpOverlay width={size.columns} height={bodyHeight} />;
  else if (screen === "detail") {
    body =
      mode === "confirm" ? (
        dialog(bodyHeight)
      ) : (
        <DeliveryDetail
          detail={detail.detail}
          loading={detail.loading}
          width={size.columns}
          height={bodyHeight}
          scroll={detail.scroll}
          now={now}
        />
      );
  } else {
    body = (
      <>
        <StatusTabs active={view.query.status} counts={view.counts} width={size.columns} />
        {mode === "filter" || filter !== "" ? (
          <FilterBar
            value={filter}
            editing={mode === "filter"}
            width={size.columns}
            matching={view.matching}
            onChange={(text) => deliveries.setFilter(text)}
            onSubmit={() => setMode("list")}
            onCancel={() => {
              deliveries.setFilter(filterBefore);
              setMode("list");
            }}
          />
        ) : (
          <Text> </Text>
        )}
        {mode === "confirm" ? (
          dialog(listHeight + 1)
        ) : (
          <DeliveryList
            rows={view.window.rows}
            selectedId={selectedId}
            width={size.columns}
            height={listHeight}
            now={now}
            showStatus={view.query.status === "all"}
            emptyMessage={view.loading ? "Reading the log…" : emptyMessage(view.query.status, filter)}
          />
        )}
      </>
    );
  }
  return (
    <ThemeContext.Provider value={theme}>
      <Box flexDirection="column" width={size.columns} height={usable}>
        {body}
        <Footer
          mode={mode}
          width={size.columns}
          message={message ?? retries.sendingLine ?? statusLine(view, screen, openId)}
        />
      </Box>
    </ThemeContext.Provider>
  );
}
