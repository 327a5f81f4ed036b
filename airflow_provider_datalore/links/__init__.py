"""Datalore extra links."""
