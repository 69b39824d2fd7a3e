"""Virtual ward visits to inpatients."""
