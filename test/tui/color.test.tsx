import chalk from "chalk";
import { afterEach, describe, expect, it } from "vitest";
import { colorLevelFor } from "../../src/cli/output.js";
import { openDb } from "../../src/store/open.js";
import { App } from "../../src/tui/App.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { inkColor } from "../../src/tui/theme.js";
import { testContext } from "../helpers/context.js";
import { tempDb } from "../helpers/tmp.js";
import { mount } from "./harness.js";
import { seedDead, seedNow } from "./seed.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: an SGR (colour, bold, dim) escape is what is looked for
const sgr = /\u001B\[[0-9;]*m/;
const initialLevel = chalk.level;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  chalk.level = initialLevel;
});

/** The app as `hookctl inspect` wires its colour: one decision, from the CLI's context and flags. */
function inspectWith(env: Record<string, string | undefined>, flags: { color?: boolean }) {
  const { ctx } = testContext({ tty: true, env });
  // Ink's chalk sniffs on its own: start it at full colour, as a colour terminal would.
  chalk.level = 3;
  const db = openDb(tempDb());
  seedDead(db, 3);
  const app = mount(
    <App
      store={createInspectStore(db, () => seedNow)}
      now={() => seedNow}
      rows={20}
      columns={100}
      pollMs={60_000}
      color={inkColor(colorLevelFor(ctx, ctx.stdout, flags))}
    />,
  );
  cleanups.push(() => {
    app.unmount();
    db.close();
  });
  return app;
}

describe("inspect's colour follows the CLI's one decision", () => {
  it.each([
    ["--no-color", { NO_COLOR: undefined }, { color: false }],
    ["NO_COLOR=1", { NO_COLOR: "1" }, {}],
    ["TERM=dumb", { NO_COLOR: undefined, TERM: "dumb" }, {}],
    ["FORCE_COLOR=0", { NO_COLOR: undefined, FORCE_COLOR: "0" }, {}],
  ])("%s: no ANSI colour or style codes in the frame", async (_, env, flags) => {
    const app = inspectWith(env, flags);
    await app.waitForFrame("q quit");
    expect(app.lastFrame()).not.toMatch(sgr);
  });

  it("a colour terminal gets colour (the control)", async () => {
    const app = inspectWith({ NO_COLOR: undefined, TERM: "xterm", FORCE_COLOR: undefined }, {});
    await app.waitForFrame("q quit");
    expect(app.lastFrame()).toMatch(sgr);
  });
});
