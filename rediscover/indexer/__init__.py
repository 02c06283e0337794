"""Person merge, location, resume text, search documents and the search backends."""
