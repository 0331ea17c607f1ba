export { type BatchedCapture, createBatchedCapture } from "./capture.js";
export { type CaptureThread, createCaptureThread } from "./capture-thread.js";
export { mulberry32 } from "./prng.js";
export { pooledRandomBytes } from "./random.js";
export { receiverDefaults, startReceiver } from "./server.js";
export type {
  CaptureSink,
  ClientErrorEvent,
  FailureOptions,
  ForwardResult,
  Injection,
  Receiver,
  ReceiverDeps,
  ReceiverEvents,
  ReceiverLimits,
  ReceiverOptions,
  ReceiverSummary,
  RequestEvent,
  Verification,
  VerificationStatus,
} from "./types.js";
