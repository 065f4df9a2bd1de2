"""Civil-affairs facilities: elderly care, child welfare and relief stations, located and dated."""
