import type { AlertJson } from "../../contract/schema/alert.js";

/** One alert handed to a sink: the contract's alert and its JSON text, made once for every try. */
export interface AlertMessage {
  alert: AlertJson;
  /** `JSON.stringify(alert)`: the bytes a command reads and a webhook carries. */
  body: string;
}

/** What a sink made of one try. `error` is one line: the log's `last_error`. */
export type SinkAnswer = { ok: true } | { ok: false; error: string };

/** Where dead-letter alerts go: a command (`--on-dead`) or a signed webhook (`--alert-url`). */
export interface AlertSink {
  /** The sink's identity in the log: `command:<the command>` or `url:<the url>`. */
  readonly name: string;
  /** How output names it: the name with a URL's credentials masked. */
  readonly label: string;
  /**
   * Try once. Never rejects for the sink's own failures (they are answers); resolves soon after
   * `signal` aborts (the answer is then ignored and the alert stays pending).
   */
  send(message: AlertMessage, signal: AbortSignal): Promise<SinkAnswer>;
}

/** What the alert runner reports; `at` is ms since the epoch. */
export type AlertEvent =
  | { type: "alert-sent"; at: number; alertId: string; deliveryId: string; sink: string; attempt: number }
  | {
      type: "alert-failed";
      at: number;
      alertId: string;
      deliveryId: string;
      sink: string;
      attempt: number;
      error: string;
      /** The next try; null: given up, the alert is `failed` in the log. */
      nextAttemptAt: number | null;
    };
