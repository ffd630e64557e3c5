; Imports: the shipped tags query has definitions and calls only.
(import_specifier name: (identifier) @name) @reference.import
(import_clause (identifier) @name) @reference.import
