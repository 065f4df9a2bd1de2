"""Forward geocoding: Chinese addresses to the divisions they lay in on a date."""
