"""Fast, faithful simulator of cortical error-neuron microcircuits and the models they are compared with
(Max, Jaras, Granier, Wilmes, Petrovici 2025)."""

__version__ = "0.1.0"
