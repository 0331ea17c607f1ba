import { type Command, Option } from "commander";
import type { CommandHost } from "../program.js";

export function registerCompletion(program: Command, host: CommandHost): void {
  program
    .command("completion")
    .description("print a shell completion script (commands, flags, endpoint and fixture names)")
    .argument("[shell]", "bash, zsh or fish")
    .addOption(
      new Option("--list <kind>", "print completion candidates (used by the scripts)")
        .choices(["endpoints", "fixtures", "schemes", "statuses"])
        .hideHelp(),
    )
    .addHelpText(
      "after",
      `
Examples:
  eval "$(hookctl completion bash)"        # add to ~/.bashrc
  eval "$(hookctl completion zsh)"         # add to ~/.zshrc
  hookctl completion fish | source         # add to ~/.config/fish/config.fish`,
    )
    .action(async (shell: string | undefined, options: { list?: string }, command: Command) => {
      const { runCompletion } = await import("../actions/completion.js");
      host.setExitCode(await runCompletion(shell, options, command, host.ctx));
    });
}
