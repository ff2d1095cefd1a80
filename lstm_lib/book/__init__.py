"""Book machinery (papermill runner, notebook cleaner, chapter glue); the science never imports it."""
