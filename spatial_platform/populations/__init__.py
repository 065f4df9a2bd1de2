"""Service populations: counts by division (county or town), year and age band, or on a grid."""
