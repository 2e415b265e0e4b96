"""metacrm.packages: metadata packages in and out of the database (export)."""
