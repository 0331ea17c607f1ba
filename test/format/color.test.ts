import { describe, expect, it } from "vitest";
import { colorLevel } from "../../src/format/color.js";

const terminal = { TERM: "xterm" };

describe("colorLevel: the one colour decision of the CLI and inspect", () => {
  it.each([
    ["a terminal", terminal, true, undefined, 1],
    ["a 256-colour terminal", { TERM: "xterm-256color" }, true, undefined, 2],
    ["a truecolor terminal", { ...terminal, COLORTERM: "truecolor" }, true, undefined, 3],
    ["a pipe", terminal, false, undefined, 0],
    ["TERM=dumb", { TERM: "dumb" }, true, undefined, 0],
    ["--no-color", terminal, true, false, 0],
    ["NO_COLOR=1", { ...terminal, NO_COLOR: "1" }, true, undefined, 0],
    [
      "an empty NO_COLOR (ignored, as the convention says)",
      { ...terminal, NO_COLOR: "" },
      true,
      undefined,
      1,
    ],
    ["FORCE_COLOR=1 into a pipe", { FORCE_COLOR: "1" }, false, undefined, 1],
    ["FORCE_COLOR=3 into a pipe", { FORCE_COLOR: "3" }, false, undefined, 3],
    ["an empty FORCE_COLOR", { FORCE_COLOR: "" }, false, undefined, 1],
    ["FORCE_COLOR=true", { FORCE_COLOR: "true" }, false, undefined, 1],
    ["FORCE_COLOR=0 on a terminal", { ...terminal, FORCE_COLOR: "0" }, true, undefined, 0],
    ["FORCE_COLOR=false on a terminal", { ...terminal, FORCE_COLOR: "false" }, true, undefined, 0],
    ["FORCE_COLOR=9 (capped)", { FORCE_COLOR: "9" }, false, undefined, 3],
    ["FORCE_COLOR with TERM=dumb", { TERM: "dumb", FORCE_COLOR: "1" }, false, undefined, 1],
    ["NO_COLOR over FORCE_COLOR", { NO_COLOR: "1", FORCE_COLOR: "1" }, true, undefined, 0],
    ["--no-color over FORCE_COLOR", { FORCE_COLOR: "1" }, true, false, 0],
  ] as const)("%s", (_, env, isTTY, flag, level) => {
    expect(colorLevel({ env, isTTY, flag })).toBe(level);
  });
});
