"""Datalore operators."""
