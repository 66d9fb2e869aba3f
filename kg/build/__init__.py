"""The build: the pipeline, its concurrency schedule, dumps and atomic writes."""
