import type { Command } from "commander";
import type { CommandHost } from "../program.js";

// PLACEHOLDER: the listen work adds `log received` and `log received show <id>` here.
export function registerLogReceived(_log: Command, _host: CommandHost): void {}
