"""Reports: run folders, tables, figures, SBML export and generated docs."""
