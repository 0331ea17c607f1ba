import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("..", import.meta.url).pathname,
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // Component tests share two cores with real loopback servers and child processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
