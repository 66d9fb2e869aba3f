"""Getting a review into a project: a new project's files (scaffold), and importers of
what reviewers already have (references, codings)."""
