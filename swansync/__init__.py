"""swansync."""
