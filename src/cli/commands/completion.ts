import { type Command, Option } from "commander";
import { UsageError } from "../../errors.js";
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
Install (then open a new shell):
  bash  add to ~/.bashrc:  eval "$(hookctl completion bash)"
  zsh   add to ~/.zshrc, after compinit:  eval "$(hookctl completion zsh)"
        or save it on $fpath (the fpath line goes above compinit in ~/.zshrc):
          mkdir -p ~/.zfunc && hookctl completion zsh > ~/.zfunc/_hookctl
          fpath=(~/.zfunc $fpath)
  fish  hookctl completion fish > ~/.config/fish/completions/hookctl.fish

Endpoint names come from the log named by --db on the line, else HOOKCTL_DB or the default log.`,
    )
    .action(async (shell: string | undefined, options: { list?: string }, command: Command) => {
      if (shell === undefined && !options.list)
        throw new UsageError(
          "completion needs a shell: bash, zsh or fish",
          'e.g. eval "$(hookctl completion bash)"',
        );
      const { runCompletion } = await import("../actions/completion.js");
      host.setExitCode(await runCompletion(shell, options, command, host.ctx));
    });
}
