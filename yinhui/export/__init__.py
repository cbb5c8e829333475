"""Files for people outside the system: spreadsheets (xlsx) a leader filters or sends upward."""
