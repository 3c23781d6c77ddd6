/** Operation ids on the wire (the MD5 prefix of a positional id, and back): shared from `reprise/aws`. */
export { type IdResolver, makeIdResolver, wireId } from "reprise/aws"
