"""Acquisition: local files, the HTTP client and its guards, robots.txt, sources, feeds and sitemaps, the raw store."""
