"""Analysis: engagement → conversion models, market trends, tables and plots."""
