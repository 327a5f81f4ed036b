"""Datalore triggers."""
