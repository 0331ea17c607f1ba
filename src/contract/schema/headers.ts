import * as z from "zod/mini";

/**
 * One header as sent or received: the name as written on the wire, the value as given. A list
 * of these (the form HAR files use) keeps order and repeats, which an object cannot.
 */
export const header = z.object({
  name: z.string(),
  value: z.string(),
});

export const headerList = z.array(header);

/**
 * What a command accepts wherever it reads headers: the list above, or a plain object of names
 * to a value (a number is taken as written) or to several values (repeats, in order).
 */
export const headersInput = z.union([
  headerList,
  z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())])),
]);

export type Header = z.infer<typeof header>;
export type HeaderList = z.infer<typeof headerList>;
export type HeadersInput = z.infer<typeof headersInput>;
