"""Helpers the tests share: repository builders, plan factories, real helm binaries."""
