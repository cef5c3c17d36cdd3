"""Provider tests: one provider per file prefix (cdp_, cubepay_, payviox_)."""
