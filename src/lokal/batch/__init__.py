"""Batch jobs: OpenAI batch JSONL in and out, run against the API with parallel workers, resumable."""
