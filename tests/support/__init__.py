"""Helpers the tests import: apps and clients, the control-API client, per-provider calls, receivers."""
