import { standardLikeScheme } from "./standard-like.js";

/** Standard Webhooks (https://www.standardwebhooks.com): webhook-id, webhook-timestamp, webhook-signature. */
export const standard = standardLikeScheme("standard", "webhook");
