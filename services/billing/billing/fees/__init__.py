"""One-off fees: an unexcused missed appointment, a hire after the year's headcount declaration."""
