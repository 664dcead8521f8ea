"""The HTML faces of the flows (Dutch): the inbox and task pages, and the meeting pages."""
