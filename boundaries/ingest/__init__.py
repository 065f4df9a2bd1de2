"""The only writers of reference tables: areacodes, boundaries, towns and villages, each loaded once."""
