import { standardLikeScheme } from "./standard-like.js";

/** Svix: the same construction as Standard Webhooks under svix-id, svix-timestamp, svix-signature. */
export const svix = standardLikeScheme("svix", "svix");
