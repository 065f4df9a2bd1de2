"""Division history: versions, the lineage index, successors, resolve, towns and villages."""
