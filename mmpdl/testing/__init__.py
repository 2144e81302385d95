"""References used by the tools and tests (the original implementation)."""
