"""Architecture tests: the layout rules of docs/DESIGN, checked on the source (AST)."""
