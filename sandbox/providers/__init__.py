"""The provider packages: one per provider, each with the same module names (README "How it is built")."""
