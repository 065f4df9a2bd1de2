"""Recorded division changes: drafted as one document, checked, reviewed and published."""
