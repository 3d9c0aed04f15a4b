def validate(content_dir): return []
