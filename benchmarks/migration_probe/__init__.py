"""A tenant app with no code of its own: benchmarks/migrate_all.py writes its migrations (under the
benchmark's data directory) to time a real added migration over every CPTS schema."""
