"""The stages after validation: reason, derive, verify, trace, report, query."""
