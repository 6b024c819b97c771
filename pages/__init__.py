"""Dash pages: layout and thin callbacks only (no SQL, no engine imports)."""
