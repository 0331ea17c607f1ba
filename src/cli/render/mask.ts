/** The one masking rule lives in the contract; the CLI's renderers use it from there. */
export {
  isSensitiveHeader,
  maskHeaders,
  maskHeaderValue,
  maskSecret as maskValue,
  maskSecretsIn,
  maskUrl,
} from "../../contract/mask.js";
