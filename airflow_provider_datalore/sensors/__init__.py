"""Datalore sensors."""
