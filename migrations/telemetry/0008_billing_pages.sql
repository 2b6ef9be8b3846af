-- The page each subscriber's figures were last read from (its digest, and
-- hashes of the folder and of the record it gave; 32 bytes, see
-- src/billing.rs `PageMemo`), so that the first sync after a restart need
-- not parse the cards whose page is the same again. NULL: not known.
ALTER TABLE subscriber_figures ADD COLUMN page BLOB;
