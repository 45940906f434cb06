"""The only package that imports streamlit: cached loaders and shared widgets for the pages."""
