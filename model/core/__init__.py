"""The model itself: units, the parameter table, states and equations."""
