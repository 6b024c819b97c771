"""Loading sales lines into the store: reading, validating and committing, plus demo data."""
