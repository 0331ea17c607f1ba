#!/usr/bin/env node
// CommonJS (see bin/package.json): Node 20 starts a CommonJS entry faster than an ES module.
require("../dist/app/main.cjs").main();
