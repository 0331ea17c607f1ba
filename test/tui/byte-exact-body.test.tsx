import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "../../src/store/open.js";
import { App } from "../../src/tui/App.js";
import { createInspectStore } from "../../src/tui/inspect-store.js";
import { KEY } from "../../src/tui/keys.js";
import { tempDb } from "../helpers/tmp.js";
import { mount } from "./harness.js";
import { seedDelivery, seedNow } from "./seed.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

describe("inspect detail body", () => {
  it("re-indents JSON but shows every number, escape and duplicate key as stored", async () => {
    const db = openDb(tempDb());
    const body = String.raw`{"id":12345678901234567890,"price":1.0,"big":1e400,"name":"caf\u00e9","n":1,"n":2}`;
    seedDelivery(db, { type: "order.created", body: Buffer.from(body) });
    const app = mount(
      <App
        store={createInspectStore(db, () => seedNow)}
        now={() => seedNow}
        rows={40}
        color={false}
        pollMs={25}
        onQuit={() => {}}
      />,
    );
    cleanups.push(() => {
      app.unmount();
      db.close();
    });
    await app.waitForFrame("order.created");
    await app.press(KEY.enter);
    const frame = await app.waitForFrame("Body (json");
    const shown = frame.split("\n").filter((line) => /^ {4}"/.test(line));
    expect(shown).toEqual([
      '    "id": 12345678901234567890,',
      '    "price": 1.0,',
      '    "big": 1e400,',
      String.raw`    "name": "caf\u00e9",`,
      '    "n": 1,',
      '    "n": 2',
    ]);
  });
});
