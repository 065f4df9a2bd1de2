"""Platform wiring: settings, database, embedded cluster, CLI and web app."""
