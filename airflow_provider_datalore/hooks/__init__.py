"""Datalore hooks."""
