"""Records -> xarray -> NetCDF with provenance, and back."""
