"""K-means colour quantization, cross-validated between scikit-learn and R."""

__version__ = "0.1.0"
