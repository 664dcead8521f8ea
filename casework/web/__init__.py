"""The HTML faces of casework: the Dutch pages, their forms, paging, context processors and URLs."""
