"""Care-facility planning measures: coverage, beds per 1,000, 2SFCA accessibility and siting."""
