"""Experiment protocols driving the kernels; they return plain records, never files."""
