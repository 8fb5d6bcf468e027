"""Results folders: atomic writing, marker files and reading back."""
