import type { Scheme } from "./scheme.js";
import { github } from "./schemes/github.js";
import { hookctl } from "./schemes/hookctl.js";
import { shopify } from "./schemes/shopify.js";
import { slack } from "./schemes/slack.js";
import { standard } from "./schemes/standard.js";
import { stripe } from "./schemes/stripe.js";
import { svix } from "./schemes/svix.js";
import type { SchemeName } from "./types.js";

export const schemes: Readonly<Record<SchemeName, Scheme>> = {
  hookctl,
  standard,
  svix,
  stripe,
  github,
  slack,
  shopify,
};
