"""Reading and writing files safely: strict YAML, bounded inputs, output folders."""
