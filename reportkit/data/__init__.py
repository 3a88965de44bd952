"""Data: readers, the NBS official series, and the seeded simulator of the demo panel."""
