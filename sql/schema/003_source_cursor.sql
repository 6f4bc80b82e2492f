-- A source's own resume token per run (e.g. the byte offset and folded state of a W&B offline
-- log): what the source had read when the run's rows last committed. Opaque to the sync, handed
-- back to the source on the next pull, written in the same transaction as the rows it covers.
ALTER TABLE _swansync.run_state ADD COLUMN cursor VARCHAR;
